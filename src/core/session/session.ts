import type { SseCKey } from '../../keys/key.js';
import { ManifestStore, openManifestReplacingDamaged } from '../../manifest/store.js';
import { settleOrphanUploads } from '../transfer/orphans.js';
import type { Io } from '../context.js';
import { sse3Paths, type Sse3Paths } from '../../paths.js';
import { connect, type Connection, type ConnectionOptions } from '../../s3/client.js';
import { defaultKeyContext, type KeyContext, type KnownKey } from '../../keys/sources.js';
import { KeyFinder } from './keyfinder.js';

export { KeyFinder, loadGivenKeys } from './keyfinder.js';
export { keyForObject, type KeyLookupOp, type ObjectKey } from './objectkey.js';

/** What a command that talks to S3 works with. */
export interface Session extends Io {
  conn: Connection;
  manifest: ManifestStore;
  paths: Sse3Paths;
  keys: KeyContext;
  signal: AbortSignal;
  /** Keys given on the command line (--key), one per fingerprint. */
  givenKeys: SseCKey[];
  /** Where a damaged manifest was moved when the session was opened with replaceDamaged. */
  movedAside?: string;
  /** A key given with --key, or one sse3 can find by itself (SSE3_KEY, key folder, keychain), with this fingerprint. */
  findKey(fingerprint: string): Promise<SseCKey | undefined>;
  /** Every key sse3 can find by itself, with the ref that names it (one full discovery per process). */
  allKeys(): Promise<KnownKey[]>;
  /** Why keys could not be used, in words, for a "no key" error. */
  keyProblems(): string[];
  close(): void;
}

export interface SessionOptions {
  /**
   * Keys given on the command line: candidates tried by fingerprint for every object (and, when only one is given,
   * the key for an object whose fingerprint does not match or is not known).
   */
  keys?: SseCKey[];
  /** Other keys the command holds (rotate's --to and --from): settling leftovers may use them too. */
  settleWith?: SseCKey[];
  replaceDamaged?: boolean;
}

/** Open a session: connect, open the manifest, and settle what a killed sse3 left (once per command). */
export async function openSession(g: ConnectionOptions, signal: AbortSignal, opts: SessionOptions = {}): Promise<Session> {
  return sessionOver(await connect(g), signal, opts);
}

/** A session over a connection already made: openSession without the connecting (the unit tests give it the S3 twin). */
export async function sessionOver(conn: Connection, signal: AbortSignal, opts: SessionOptions = {}): Promise<Session> {
  const paths = sse3Paths();
  // A damaged manifest stops every command (naming the way back), except those that rebuild it.
  const { manifest, movedAside } = opts.replaceDamaged ? openManifestReplacingDamaged(paths.manifestFile)
    : { manifest: new ManifestStore(paths.manifestFile), movedAside: undefined };
  // A server declared to be another name of one already recorded (sse3 manifest alias) is looked up under that name.
  conn.endpoint = manifest.resolveEndpoint(conn.endpoint);
  const keys = defaultKeyContext();
  const finder = new KeyFinder(paths.keyDir, keys, opts.keys);
  const findKey = (fingerprint: string) => finder.find(fingerprint);
  // Leftovers of an sse3 killed mid-upload are settled by the next run against the same server: here, once per command,
  // with every key the command holds. A failure must not stop the command: the next run tries again.
  const settleKey = async (fingerprint: string) => opts.settleWith?.find((k) => k.fingerprint === fingerprint) ?? findKey(fingerprint);
  await settleOrphanUploads({ conn, manifest, signal }, settleKey).catch(() => 0);
  return {
    conn, manifest, paths, keys, signal, movedAside,
    givenKeys: finder.given,
    findKey,
    allKeys: () => finder.all(),
    keyProblems: () => finder.problems,
    close() {
      manifest.close();
      conn.close();
    },
  };
}

