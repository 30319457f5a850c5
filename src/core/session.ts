import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';
import { TAG_FINGERPRINT, readTags } from './ssec.js';
import { type ManifestEntry, ManifestStore } from '../manifest/store.js';
import { settleOrphanUploads } from './orphans.js';
import type { Io } from './context.js';
import { sse3Paths, type Sse3Paths } from '../paths.js';
import { connect, type Connection, type ConnectionOptions } from '../s3/client.js';
import { formatS3Url, type S3Location } from '../s3/url.js';
import { describeS3Error, statusOf } from '../s3/errors.js';
import { defaultKeyContext, discoverKeys, type KeyContext, loadKey, parseKeyRef } from '../keys/sources.js';

/** What a command that talks to S3 works with. */
export interface Session extends Io {
  conn: Connection;
  manifest: ManifestStore;
  paths: Sse3Paths;
  keys: KeyContext;
  signal: AbortSignal;
  /** A key sse3 can find by itself (SSE3_KEY, key folder, keychain) with this fingerprint. */
  findKey(fingerprint: string): Promise<SseCKey | undefined>;
  /** Why keys could not be used, in words, for a "no key" error. */
  keyProblems(): string[];
  close(): void;
}

/**
 * Keys sse3 finds by itself, looked up once per process: a batch of 1,000 objects under keychain keys lists the
 * keychain once, not 1,000 times. The cheap sources (SSE3_KEY, key folder) are read first and the keychain only
 * when they do not hold the key wanted.
 */
class KeyFinder {
  readonly #found = new Map<string, SseCKey>();
  #problems: string[] = [];
  #complete = false;

  constructor(private readonly keyDir: string, private readonly ctx: KeyContext) {}

  async find(fingerprint: string): Promise<SseCKey | undefined> {
    const known = this.#found.get(fingerprint);
    if (known || this.#complete) return known;
    const { keys, problems } = await discoverKeys(this.keyDir, this.ctx, fingerprint);
    for (const k of keys) if (!this.#found.has(k.key.fingerprint)) this.#found.set(k.key.fingerprint, k.key);
    this.#problems = problems;
    const hit = this.#found.get(fingerprint);
    // discoverKeys stops early only on a hit: a miss means every source was read.
    if (!hit) this.#complete = true;
    return hit;
  }

  get problems(): string[] {
    return this.#problems;
  }
}

export async function openSession(g: ConnectionOptions, signal: AbortSignal): Promise<Session> {
  const conn = await connect(g);
  const paths = sse3Paths();
  const manifest = new ManifestStore(paths.manifestFile);
  const keys = defaultKeyContext();
  const finder = new KeyFinder(paths.keyDir, keys);
  const findKey = (fingerprint: string) => finder.find(fingerprint);
  // Leftovers of an sse3 killed mid-upload are settled by the next run against the same server.
  await settleOrphanUploads({ conn, manifest, signal }, findKey).catch(() => 0);
  return {
    conn, manifest, paths, keys, signal,
    findKey,
    keyProblems: () => finder.problems,
    close() {
      manifest.close();
      conn.client.destroy();
      conn.singleAttemptClient.destroy();
    },
  };
}

export interface ObjectKey {
  key?: SseCKey;
  /** The manifest's record of the object (the given version, else the latest). */
  entry?: ManifestEntry;
  /** Fingerprint that encrypted the object, from the manifest or the object's tag. */
  fingerprint?: string;
  /** How the key was found, for head's report. */
  foundBy?: 'option' | 'manifest' | 'tag';
}

/** Fingerprint from the object's sse3-fp tag: tags are readable without the key. */
async function fingerprintFromTag(s: Session, loc: S3Location, versionId?: string): Promise<string | undefined> {
  try {
    return (await readTags(s, { ...loc, versionId }))[TAG_FINGERPRINT];
  } catch (e) {
    // No tag to be had (no object, tags not readable): the caller says what is missing. A dead server is said as such.
    const status = statusOf(e);
    if (status !== undefined && status >= 400 && status < 500) return undefined;
    throw describeS3Error(e, { op: 'get', url: formatS3Url(loc) });
  }
}

/**
 * The key for an object: --key if given; otherwise the fingerprint the
 * manifest (or the object's tag) names, looked up among the keys sse3 can find.
 * With required=false, a missing key is reported in the result instead of thrown.
 */
export async function keyForObject(s: Session, loc: S3Location, opts: { keyRef?: string; versionId?: string; required: boolean })
  : Promise<ObjectKey> {
  const location = { endpoint: s.conn.endpoint, ...loc };
  const entry = s.manifest.lookup(location, opts.versionId);
  if (opts.keyRef !== undefined) {
    return { key: await loadKey(parseKeyRef(opts.keyRef), s.keys), entry, fingerprint: entry?.fingerprint, foundBy: 'option' };
  }
  const fingerprint = entry?.fingerprint ?? await fingerprintFromTag(s, loc, opts.versionId);
  const foundBy = entry ? 'manifest' as const : 'tag' as const;
  if (!fingerprint) {
    if (!opts.required) return { entry };
    throw new Sse3Error('NO_KEY', `sse3 has no record of which key encrypted ${formatS3Url(loc)}`,
      'pass the key with --key file:PATH | env:VAR | keychain:NAME');
  }
  const key = await s.findKey(fingerprint);
  if (!key) {
    if (!opts.required) return { entry, fingerprint, foundBy };
    const problems = s.keyProblems();
    const skipped = problems.length ? ` (could not use: ${problems.join('; ')})` : '';
    throw new Sse3Error('NO_KEY', `${formatS3Url(loc)} needs the key with fingerprint ${fingerprint}, which sse3 cannot find${skipped}`,
      `pass it with --key REF, put its key file in ${s.paths.keyDir}, set SSE3_KEY, or store it in the keychain (service sse3)`);
  }
  return { key, entry, fingerprint, foundBy };
}
