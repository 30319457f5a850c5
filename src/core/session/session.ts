import type { SseCKey } from '../../keys/key.js';
import { ManifestStore, openManifestReplacingDamaged } from '../../manifest/store.js';
import { settleOrphanUploads } from '../transfer/orphans.js';
import type { Io } from '../context.js';
import { sse3Paths, type Sse3Paths } from '../../paths.js';
import { connect, type Connection, type ConnectionOptions } from '../../s3/client.js';
import { defaultKeyContext, type KeyContext, type KnownKey, refOfKey } from '../../keys/sources.js';
import type { HomeManifest } from './home-manifest.js';
import { KeyFinder, type LastSeen } from './keyfinder.js';

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
  /** Where a key sse3 could not find was last seen (a remembered reference), and why it is not there now. */
  lastSeen(fingerprint: string): LastSeen | undefined;
  /**
   * This command encrypts or opens objects with the key: its reference (never the key) is remembered in the home when
   * the session closes, with the time, so later lookups try it (KeyFinder) and keys list says when it was last used.
   */
  keyUsed(key: SseCKey): void;
  close(): void;
}

export interface SessionOptions {
  /**
   * Keys given on the command line: candidates tried by fingerprint for every object (and, when only one is given,
   * the key for an object whose fingerprint does not match or is not known).
   */
  keys?: SseCKey[];
  /**
   * Other keys the command holds (rotate's --to and --from): found by fingerprint as the keys sse3 finds by itself are
   * (a rerun of a rotation finds the objects already under its --to key), and used to settle leftovers. Never used
   * for an object recorded under another key, as a single --key is.
   */
  held?: SseCKey[];
  replaceDamaged?: boolean;
  /**
   * The command's manifest, already read before the session (the default keys of a write): the session works with the
   * same store, and leaves closing it to the command.
   */
  manifest?: HomeManifest;
  /** The keys the command writes with (put, cp, sync up, rotate's new key): used, whatever else the command opens. */
  writing?: SseCKey[];
}

/** What a command hands a session: its Ctrl-C, and where warnings go (the command's output: stderr). */
export interface CommandIo {
  signal: AbortSignal;
  out: { warn(message: string): void };
}

/** Open a session: connect, open the manifest, and settle what a killed sse3 left (once per command). */
export async function openSession(g: ConnectionOptions, run: CommandIo, opts: SessionOptions = {}): Promise<Session> {
  return sessionOver(await connect(g), run, opts);
}

/** A session over a connection already made: openSession without the connecting (the unit tests give it the S3 twin). */
export async function sessionOver(conn: Connection, { signal, out }: CommandIo, opts: SessionOptions = {}): Promise<Session> {
  const paths = sse3Paths();
  // A damaged manifest stops every command (naming the way back), except those that rebuild it.
  const { manifest, movedAside } = opts.manifest ? { manifest: opts.manifest.store, movedAside: undefined }
    : opts.replaceDamaged ? openManifestReplacingDamaged(paths.manifestFile)
      : { manifest: new ManifestStore(paths.manifestFile), movedAside: undefined };
  const closeManifest = () => {
    if (!opts.manifest) manifest.close();
  };
  // A server declared to be another name of one already recorded (sse3 manifest alias) is looked up under that name.
  conn.endpoint = manifest.resolveEndpoint(conn.endpoint);
  const keys = defaultKeyContext();
  const finder = new KeyFinder(paths.keyDir, keys, opts.keys, {
    refsOf: (fp) => manifest.keyRefs(fp).map((r) => r.ref),
    all: () => manifest.keyRefs(),
  });
  const used = new Set<SseCKey>(opts.writing);
  const findKey = async (fingerprint: string) => opts.held?.find((k) => k.fingerprint === fingerprint) ?? finder.find(fingerprint);
  // Leftovers of an sse3 killed mid-upload are settled by the next run against the same server: here, once per command,
  // with every key the command holds. Ctrl-C stops it (and the command); any other failure must not stop the command
  // and is said: the records stay, and the next run tries again.
  const warn = (message: string) => out.warn(message);
  try {
    await settleOrphanUploads({ conn, manifest, signal }, findKey, warn);
  } catch (e) {
    if (signal.aborted) {
      closeManifest();
      conn.close();
      throw e;
    }
    warn(`could not settle the multipart uploads an interrupted sse3 left (${(e as Error).message}); their records are kept ` +
      'and the next sse3 run against this server tries again');
  }
  return {
    conn, manifest, paths, keys, signal, movedAside,
    givenKeys: finder.given,
    findKey,
    allKeys: () => finder.all(),
    keyProblems: () => finder.problems,
    lastSeen: (fp) => finder.lastSeen(fp),
    keyUsed: (key) => used.add(key),
    close() {
      try {
        rememberUsed(manifest, used);
      } finally {
        closeManifest();
        conn.close();
      }
    },
  };
}


/**
 * The references of the keys a command used, remembered with the time. Only a convenience for later lookups and for
 * keys list: a manifest that cannot take it now (busy past its timeout, a read-only home) does not fail the command.
 */
function rememberUsed(manifest: ManifestStore, used: Set<SseCKey>): void {
  const refs = [...used].flatMap((key) => {
    const ref = refOfKey(key);
    return ref ? [{ fingerprint: key.fingerprint, ref, used: true }] : [];
  });
  try {
    manifest.rememberKeyRefs(refs);
  } catch {
    // See above: the next command that uses the key remembers it.
  }
}
