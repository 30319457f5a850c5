import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';
import { readSse3Tags } from './ssec.js';
import { type ManifestEntry, ManifestStore, openManifestReplacingDamaged } from '../manifest/store.js';
import { rollBackup } from '../manifest/backup.js';
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

/**
 * Keys sse3 finds by itself, looked up once per process: a batch of 1,000 objects under keychain keys lists the
 * keychain once, not 1,000 times — also when many objects ask at the same moment (one discovery runs at a time,
 * and the others wait for it). The cheap sources (SSE3_KEY, key folder) are read first and the keychain only when
 * they do not hold the key wanted. Keys given on the command line (--key) are candidates, tried first by fingerprint.
 */
export class KeyFinder {
  readonly #given = new Map<string, SseCKey>();
  readonly #found = new Map<string, SseCKey>();
  #problems: string[] = [];
  #complete = false;
  #all?: Promise<KnownKey[]>;
  #discovery?: Promise<void>;

  constructor(private readonly keyDir: string, private readonly ctx: KeyContext, given: SseCKey[] = []) {
    for (const k of given) if (!this.#given.has(k.fingerprint)) this.#given.set(k.fingerprint, k);
  }

  /** The keys given on the command line, one per fingerprint. */
  get given(): SseCKey[] {
    return [...this.#given.values()];
  }

  async find(fingerprint: string): Promise<SseCKey | undefined> {
    const given = this.#given.get(fingerprint);
    if (given) return given;
    for (;;) {
      const known = this.#found.get(fingerprint);
      if (known || this.#complete) return known;
      if (!this.#discovery) {
        this.#discovery = this.#discover(fingerprint).finally(() => { this.#discovery = undefined; });
        await this.#discovery;
        const hit = this.#found.get(fingerprint);
        // A miss means every source was read: from now on every answer comes from memory.
        if (!hit) this.#complete = true;
        return hit;
      }
      // Another lookup is reading the sources: its result may hold this key too.
      await this.#discovery;
    }
  }

  async #discover(fingerprint: string): Promise<void> {
    const { keys, problems, complete } = await discoverKeys(this.keyDir, this.ctx, fingerprint);
    for (const k of keys) if (!this.#found.has(k.key.fingerprint)) this.#found.set(k.key.fingerprint, k.key);
    this.#problems = problems;
    if (complete) this.#complete = true;
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

/** Load the keys given with --key (each ref once), before any request: a bad ref is reported up front. */
export async function loadGivenKeys(refs: string[] | undefined): Promise<SseCKey[]> {
  const keys: SseCKey[] = [];
  for (const ref of new Set(refs ?? [])) keys.push(await loadKey(parseKeyRef(ref)));
  return keys;
}

/**
 * Open a session. `keys` are keys given on the command line: candidates tried by fingerprint for every object
 * (and, when only one is given, the key for an object whose fingerprint does not match or is not known).
 */
export async function openSession(g: ConnectionOptions, signal: AbortSignal,
  opts: { keys?: SseCKey[]; replaceDamaged?: boolean } = {}): Promise<Session> {
  const conn = await connect(g);
  const paths = sse3Paths();
  // A damaged manifest stops every command (naming the way back), except those that rebuild it.
  const { manifest, movedAside } = opts.replaceDamaged ? openManifestReplacingDamaged(paths.manifestFile)
    : { manifest: new ManifestStore(paths.manifestFile), movedAside: undefined };
  // A server declared to be another name of one already recorded (sse3 manifest alias) is looked up under that name.
  conn.endpoint = manifest.resolveEndpoint(conn.endpoint);
  // The rolling backup (at most daily): a failure here must not stop the command; the next run tries again.
  await rollBackup(manifest, paths.manifestFile).catch(() => undefined);
  const keys = defaultKeyContext();
  const finder = new KeyFinder(paths.keyDir, keys, opts.keys);
  const findKey = (fingerprint: string) => finder.find(fingerprint);
  // Leftovers of an sse3 killed mid-upload are settled by the next run against the same server.
  await settleOrphanUploads({ conn, manifest, signal }, findKey).catch(() => 0);
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

export interface ObjectKey {
  key?: SseCKey;
  /** The manifest's record of the object (the given version, else the latest). */
  entry?: ManifestEntry;
  /** Fingerprint that encrypted the object, from the manifest or the object's tag. */
  fingerprint?: string;
  /** How the key was found, for head's report. */
  foundBy?: 'option' | 'manifest' | 'tag';
  /** The SHA-256 the object's sse3-sha256 tag records, when the fingerprint came from its tags. */
  tagSha256?: string;
}

/**
 * Neither the manifest nor a tag knows the object's key: a HEAD without a key tells whether there is anything to
 * find a key for. Missing: "does not exist"; served without a key: "not encrypted"; refused for want of a key
 * (400, as AWS and Ceph RGW answer for SSE-C objects): it is SSE-C, and only the key is unknown.
 */
async function assertNeedsKey(s: Session, loc: S3Location, versionId: string | undefined, op: KeyLookupOp): Promise<void> {
  const url = formatS3Url(loc);
  let h;
  try {
    h = await s.conn.objects.headObject({ Bucket: loc.bucket, Key: loc.key, VersionId: versionId }, { abortSignal: s.signal });
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
 * The key for an object. The fingerprint that encrypted it comes from the manifest (else the object's tag); the
 * key with that fingerprint is taken from the keys given with --key, else from the keys sse3 finds by itself. A
 * single given key is used as given when nothing matches or no fingerprint is recorded: the server then says
 * whether it opens the object. With required=false, a missing key is reported in the result instead of thrown.
 */
export async function keyForObject(s: Session, loc: S3Location,
  opts: { versionId?: string; required: boolean; op: KeyLookupOp }): Promise<ObjectKey> {
  const location = { endpoint: s.conn.endpoint, ...loc };
  const entry = s.manifest.lookup(location, opts.versionId);
  const [single] = s.givenKeys.length === 1 ? s.givenKeys : [];
  // One key given: no need to read the tag to decide, exactly as before candidates existed.
  if (single && (!entry || entry.fingerprint !== single.fingerprint)) {
    return { key: single, entry, fingerprint: entry?.fingerprint, foundBy: 'option' };
  }
  // The sse3-fp tag is readable without the key; one that cannot be read is an error, not "no record".
  const tagged = entry ? undefined : await readSse3Tags(s, { ...loc, versionId: opts.versionId }, { what: 'key fingerprint', op: opts.op });
  const fingerprint = entry?.fingerprint ?? tagged?.fingerprint;
  const foundBy = entry ? 'manifest' as const : 'tag' as const;
  const noneGiven = s.givenKeys.length ? ' (none of the keys given with --key has it)' : '';
  if (!fingerprint) {
    if (!opts.required) return { entry };
    await assertNeedsKey(s, loc, opts.versionId, opts.op);
    throw new Sse3Error('NO_KEY', `sse3 has no record of which key encrypted ${formatS3Url(loc)}`,
      s.givenKeys.length > 1 ? 'several keys were given with --key: pass the one that encrypted it'
        : 'pass the key with --key file:PATH | env:VAR | keychain:NAME');
  }
  const key = await s.findKey(fingerprint);
  if (!key) {
    if (!opts.required) return { entry, fingerprint, foundBy };
    const problems = s.keyProblems();
    const skipped = problems.length ? ` (could not use: ${problems.join('; ')})` : '';
    throw new Sse3Error('NO_KEY',
      `${formatS3Url(loc)} needs the key with fingerprint ${fingerprint}, which sse3 cannot find${noneGiven}${skipped}`,
      `pass it with --key REF, put its key file in ${s.paths.keyDir}, set SSE3_KEY, or store it in the keychain (service sse3)`);
  }
  return { key, entry, fingerprint, foundBy: s.givenKeys.includes(key) ? 'option' : foundBy, tagSha256: tagged?.sha256 };
}
