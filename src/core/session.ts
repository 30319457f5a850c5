import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';
import { readSse3Tags } from './ssec.js';
import { type ManifestEntry, ManifestStore } from '../manifest/store.js';
import { settleOrphanUploads } from './orphans.js';
import type { Io } from './context.js';
import { sse3Paths, type Sse3Paths } from '../paths.js';
import { connect, type Connection, type ConnectionOptions } from '../s3/client.js';
import { formatS3Url, type S3Location } from '../s3/url.js';
import { describeS3Error, statusOf } from '../s3/errors.js';
import { defaultKeyContext, discoverKeys, type KeyContext, type KnownKey, loadKey, parseKeyRef } from '../keys/sources.js';

/** What a command that talks to S3 works with. */
export interface Session extends Io {
  conn: Connection;
  manifest: ManifestStore;
  paths: Sse3Paths;
  keys: KeyContext;
  signal: AbortSignal;
  /** A key sse3 can find by itself (SSE3_KEY, key folder, keychain) with this fingerprint. */
  findKey(fingerprint: string): Promise<SseCKey | undefined>;
  /** Every key sse3 can find by itself, with the ref that names it (one full discovery per process). */
  allKeys(): Promise<KnownKey[]>;
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
  #all?: Promise<KnownKey[]>;

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

  /** Every key of every source: a full discovery, once; later finds are answered from it. */
  async all(): Promise<KnownKey[]> {
    this.#all ??= discoverKeys(this.keyDir, this.ctx).then(({ keys, problems }) => {
      for (const k of keys) if (!this.#found.has(k.key.fingerprint)) this.#found.set(k.key.fingerprint, k.key);
      this.#problems = problems;
      this.#complete = true;
      return keys;
    });
    return this.#all;
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
    allKeys: () => finder.all(),
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

/**
 * Neither the manifest nor a tag knows the object's key: a HEAD without a key tells whether there is anything to
 * find a key for. Missing: "does not exist"; served without a key: "not encrypted"; refused for want of a key
 * (400, as AWS and Ceph RGW answer for SSE-C objects): it is SSE-C, and only the key is unknown.
 */
async function assertNeedsKey(s: Session, loc: S3Location, versionId: string | undefined, op: KeyLookupOp): Promise<void> {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const url = formatS3Url(loc);
  let h;
  try {
    h = await s.conn.client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key, VersionId: versionId }),
      { abortSignal: s.signal });
  } catch (e) {
    if (statusOf(e) === 400) return;
    throw describeS3Error(e, { op, url });
  }
  if (h.SSECustomerAlgorithm === undefined) {
    throw new Sse3Error('NOT_ENCRYPTED', `${url} is not encrypted with SSE-C, so there is no key to use for it`,
      `sse3 only reads SSE-C objects; read it with a plain S3 client, or encrypt it with: sse3 cp ${url} ${url} --key REF`);
  }
}

/** The command a key lookup is for, so its errors name it. */
export type KeyLookupOp = 'get' | 'head' | 'copy' | 'rotate';

/**
 * The key for an object: --key if given; otherwise the fingerprint the
 * manifest (or the object's tag) names, looked up among the keys sse3 can find.
 * With required=false, a missing key is reported in the result instead of thrown.
 */
export async function keyForObject(s: Session, loc: S3Location,
  opts: { keyRef?: string; versionId?: string; required: boolean; op: KeyLookupOp }): Promise<ObjectKey> {
  const location = { endpoint: s.conn.endpoint, ...loc };
  const entry = s.manifest.lookup(location, opts.versionId);
  if (opts.keyRef !== undefined) {
    return { key: await loadKey(parseKeyRef(opts.keyRef), s.keys), entry, fingerprint: entry?.fingerprint, foundBy: 'option' };
  }
  // The sse3-fp tag is readable without the key; one that cannot be read is an error, not "no record".
  const fingerprint = entry?.fingerprint
    ?? (await readSse3Tags(s, { ...loc, versionId: opts.versionId }, { what: 'key fingerprint', op: opts.op })).fingerprint;
  const foundBy = entry ? 'manifest' as const : 'tag' as const;
  if (!fingerprint) {
    if (!opts.required) return { entry };
    await assertNeedsKey(s, loc, opts.versionId, opts.op);
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
