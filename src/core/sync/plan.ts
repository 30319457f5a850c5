import { promises as fs } from 'node:fs';
import { join, sep } from 'node:path';
import { Sse3Error } from '../../errors.js';
import type { ManifestEntry } from '../../manifest/entry.js';
import type { LocalHash } from '../../manifest/store.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import type { TransferEvents, Tuning } from '../context.js';
import type { WriteKey, WriteKeys } from '../session/write-key.js';
import { type LocalWalkEntry, walkLocalSorted } from './localwalk.js';
import { march, type Pair, type RemoteEntry, SortedCursor } from './march.js';
import { collectGarbage } from '../runtime/memory.js';
import { processAlive } from '../runtime/process.js';
import { listScope, relativeKey, type Scope } from '../session/scope.js';
import type { Session } from '../session/session.js';
import { sameStamp, wholeMs } from '../../local/files.js';
import { decide, type Direction, listedAsRecorded, type PairState, type Reason, type RecordState, type RemoteState, type Verdict }
  from './decide.js';
import { assertReplaceable, deleteLocalFile, deleteObject, hashLocalFile, recordFromObjectTags, rememberWritten } from './act.js';
import { makeFolderInside, type WriteRoot, writeRoot } from '../../local/inside.js';
import { isLocalName, localPathOf } from '../../local/names.js';
import { getOne, type GetOutcome, localFile, putOne } from '../transfer/single.js';
import type { ObjectProps } from '../props.js';
import type { UploadResult } from '../transfer/upload.js';

/** What one `sse3 sync` is to do. */
export interface SyncSpec {
  direction: Direction;
  /** The local folder, absolute and normalised. */
  root: string;
  scope: Scope;
  checksum: boolean;
  delete: boolean;
  dryRun: boolean;
  /** false for a relative path (folders with a trailing '/') that --exclude/--include leave out. */
  filter?: (rel: string) => boolean;
  /** up: the upload options, stored with every object uploaded. */
  props?: ObjectProps;
  /** up: the keys that encrypt what is uploaded — the one given, or the defaults of the scope and of folders inside it;
   *  each object takes its own (writeKeyOf). */
  putKeys?: WriteKeys;
  tuning?: Tuning;
}

/** Paths settled without any work (never shown one by one), and objects that had no sse3 record. */
export interface SyncTally {
  unchanged: number;
  /** In the destination only, and kept (no --delete). */
  notDeleted: number;
  /** Not synced: unreadable or not a regular file in the source, or a key that cannot be a local name. */
  skipped: number;
  unrecorded: number;
  /** Downloaded objects that were not encrypted (plain): nothing records them, so every sync downloads them again. */
  plain: number;
  /** Up: unchanged objects under a key other than the one the sync would encrypt them with, by fingerprint (nothing
   *  re-keys them). */
  underOtherKeys: Record<string, number>;
}

export interface SyncOutcome {
  action: 'upload' | 'download' | 'copy' | 'delete' | 'unchanged';
  /** For a delete: which side lost the path. */
  side?: 'local' | 'remote';
  rel: string;
  path: string;
  url: string;
  reason?: Reason;
  /** Size of the file or object acted on. */
  size: number;
  /** Bytes moved (0 for a delete, an unchanged file, or a dry run). */
  bytes: number;
  dryRun: boolean;
  /** An unchanged file whose new mtime was recorded (touched, or a record that had none). */
  mtimeRecorded?: boolean;
  upload?: UploadResult;
  download?: GetOutcome;
  /** s3 → s3: the source object (path is '' then). */
  source?: string;
}

/** One path that needs work: a transfer, a delete, or a look at its tags or content first. */
export interface SyncWork {
  label: string;
  /** What names the path in a failure's JSON line, as the success names it: the local path and the object's URL (or its source). */
  ids: { path?: string; source?: string; url: string };
  /** Bytes it will move, when known before it runs (not for a path whose tags or content must be read first). */
  bytes?: number;
  run: (events: TransferEvents) => Promise<SyncOutcome>;
}

/** Manifest rows and remembered hashes read per query while the march moves on. */
const PAGE = 512;
/** Paths marched between two full garbage collections (a few ms each): bounds the peak RSS of huge trees. */
const GC_EVERY = 20_000;

/**
 * The plan of a sync as a stream: the local walk and the listing are marched together, each path is decided from
 * the manifest's record and stat alone where they answer (counted in the tally, no request, no read), and everything
 * else is yielded as work for the batch runner to run, a bounded number at a time.
 */
export async function* planSync(s: Session, spec: SyncSpec, tally: SyncTally, warn: (message: string) => void)
  : AsyncGenerator<SyncWork> {
  const known = { records: recordCursor(s, spec.scope), hashes: hashCursor(s, spec.root) };
  const root = await writeRoot(spec.root);
  const deletes: SyncWork[] = [];
  let warned: Pair['blocked'];

  let marched = 0;
  for await (const pair of march(localEntries(spec), listRelative(s, spec.scope, spec.filter))) {
    if (++marched % GC_EVERY === 0) collectGarbage();
    const loc = { bucket: spec.scope.bucket, key: spec.scope.prefix + pair.rel };
    if (pair.blocked?.tempOwner !== undefined) {
      // sse3's own temporary download files: never synced; a dead process's are removed.
      if (spec.direction === 'down' && !spec.dryRun && !processAlive(pair.blocked.tempOwner)) await fs.unlink(pair.blocked.path).catch(() => undefined);
      pair.blocked = undefined;
      if (!pair.remote) continue;
    }
    // A folder that could not be read stands beside every object under it: said once.
    if (pair.blocked && spec.direction === 'up' && pair.blocked !== warned) warn(`skipped ${pair.blocked.path}: ${pair.blocked.reason}`);
    warned = pair.blocked ?? warned;
    // A local entry's name is one already (a folder the walk could not enter ends in "/"); an object's key may have
    // none (local/names.ts): down, that is a failed item naming the object, up, a skipped one (never deleted).
    let path: string;
    try {
      path = pair.remote ? localPathOf(spec.root, pair.rel, formatS3Url(loc)) : join(spec.root, ...pair.rel.split('/'));
    } catch (e) {
      if (spec.direction === 'down') yield failing(formatS3Url(loc), { url: formatS3Url(loc) }, e);
      else tally.skipped++;
      continue;
    }
    const state = pairState(spec, pair, known);
    keepListedTime(s, loc, state.record, state.remote, spec.dryRun);
    const verdict = decide(state);
    if (settledWithoutWork(spec, state, loc, verdict, tally)) continue;
    const work = workFor(s, spec, { pair, state, path, loc, root, tally }, verdict);
    if (verdict.do === 'delete-remote' || verdict.do === 'delete-local') deletes.push(work);
    else yield work;
  }
  // Deletions wait until both listings were read to the end in order: a walk or listing that fails or breaks the
  // order part way must not have deleted anything on the strength of it (rclone's --delete-after, for the same reason).
  yield* deletes;
}

/** The local checksums remembered under the sync's folder, looked up by relative name in march order. */
function hashCursor(s: Session, root: string): SortedCursor<LocalHash> {
  const base = root.endsWith(sep) ? root : root + sep;
  return new SortedCursor((after) => s.manifest.localHashes.page(base, after, PAGE), (h) => h.path, (h) => h.path.slice(base.length));
}

/** What is known of a path without a request or a read: stat, listing, the manifest's record, a remembered checksum. */
function pairState(spec: SyncSpec, pair: Pair, known: { records: SortedCursor<ManifestEntry>; hashes: SortedCursor<LocalHash> })
  : PairState {
  const state: PairState = {
    direction: spec.direction, checksum: spec.checksum, delete: spec.delete, tagsRead: false,
    localBlocked: pair.blocked && `${pair.blocked.path}: ${pair.blocked.reason}`,
    remote: pair.remote && { size: pair.remote.size, etag: pair.remote.etag, lastModified: pair.remote.lastModified },
    record: pair.remote && recordState(known.records.seek(pair.rel)),
    local: pair.local && { size: pair.local.size, mtimeMs: wholeMs(pair.local.mtimeMs) },
  };
  if (pair.local && pair.remote && !spec.checksum) {
    // The checksum remembered for exactly this stamp (size, mtime, ctime, inode) is as good as reading the file.
    const h = known.hashes.seek(pair.rel);
    if (h && sameStamp(h, pair.local)) state.local!.sha256 = h.sha256;
  }
  return state;
}

/** A verdict that needs no work (unchanged, or skipped) is counted in the tally instead. */
function settledWithoutWork(spec: SyncSpec, state: PairState, loc: S3Location, verdict: Verdict, tally: SyncTally): boolean {
  if (verdict.do === 'unchanged' && verdict.recordMtime === undefined) {
    tally.unchanged++;
    countKeyOfUnchanged(spec, state, loc, tally);
    return true;
  }
  if (verdict.do !== 'skip') return false;
  if (verdict.why === 'not-deleted') tally.notDeleted++;
  else if (verdict.why === 'source-unreadable') tally.skipped++;
  return true;
}

/** The key a sync up encrypts an object with: the one given, or the default of the object's folder. */
export function writeKeyOf(spec: SyncSpec, objectKey: string): WriteKey {
  if (!spec.putKeys) throw new Error('a sync up without its write keys');
  return spec.putKeys.for(objectKey);
}

/** An object left as it is by a sync up, under another key than its own write key: counted, so the summary says so. */
function countKeyOfUnchanged(spec: SyncSpec, state: PairState, loc: S3Location, tally: SyncTally): void {
  const fingerprint = state.record?.fingerprint;
  if (spec.direction !== 'up' || !fingerprint || fingerprint === writeKeyOf(spec, loc.key).key.fingerprint) return;
  tally.underOtherKeys[fingerprint] = (tally.underOtherKeys[fingerprint] ?? 0) + 1;
}

/** The work a path needs: labelled by what it acts on, with the bytes it moves when they are known now. */
function workFor(s: Session, spec: SyncSpec, c: PathContext, verdict: Verdict): SyncWork {
  const label = verdict.do === 'delete-remote' || (spec.direction === 'down' && verdict.do !== 'delete-local')
    ? formatS3Url(c.loc) : c.path;
  const bytes = verdict.do === 'upload' ? c.state.local!.size : verdict.do === 'download' ? c.state.remote!.size
    : verdict.do === 'read-tags' || verdict.do === 'hash' ? undefined : 0;
  return { label, ids: { path: c.path, url: formatS3Url(c.loc) }, bytes, run: (events) => settle(s, spec, c, verdict, events) };
}

interface PathContext {
  pair: Pair;
  state: PairState;
  path: string;
  loc: S3Location;
  /** Where downloads go: never outside it. */
  root: WriteRoot;
  tally: SyncTally;
}

/** Get the facts a verdict asks for until it settles, then act on it. */
async function settle(s: Session, spec: SyncSpec, c: PathContext, first: Verdict, events: TransferEvents): Promise<SyncOutcome> {
  let verdict = first;
  while (verdict.do === 'read-tags' || verdict.do === 'hash') {
    if (verdict.do === 'read-tags') {
      c.state.record = await recordFromObjectTags(s, c.loc, c.state.remote!, spec.dryRun);
      c.state.tagsRead = true;
    } else {
      c.state.local = await hashLocalFile(s, { ...c.pair.local!, path: c.path }, spec.dryRun);
    }
    verdict = decide(c.state);
  }
  return act(s, spec, c, verdict, events);
}

async function act(s: Session, spec: SyncSpec, c: PathContext, v: Verdict, events: TransferEvents): Promise<SyncOutcome> {
  const size = (spec.direction === 'up' ? c.state.local?.size ?? c.state.remote?.size : c.state.remote?.size ?? c.state.local?.size) ?? 0;
  const base = { rel: c.pair.rel, path: c.path, url: formatS3Url(c.loc), size, bytes: 0, dryRun: spec.dryRun };
  switch (v.do) {
    case 'unchanged': {
      const record = c.state.record!;
      countKeyOfUnchanged(spec, c.state, c.loc, c.tally);
      if (v.recordMtime !== undefined && !spec.dryRun) {
        s.manifest.setMtime({ endpoint: s.conn.endpoint, ...c.loc }, record.versionId ?? '', v.recordMtime);
      }
      return { ...base, action: 'unchanged', mtimeRecorded: v.recordMtime !== undefined };
    }
    case 'upload': {
      if (v.reason === 'unrecorded') c.tally.unrecorded++;
      // A dry run's bytes are what the real run would transfer.
      if (spec.dryRun) return { ...base, action: 'upload', reason: v.reason, bytes: size };
      const upload = await putOne(s, await localFile(c.path), c.loc, writeKeyOf(spec, c.loc.key).key,
        { props: spec.props, tuning: spec.tuning }, events);
      return { ...base, action: 'upload', reason: v.reason, bytes: upload.size, upload };
    }
    case 'download': {
      if (spec.dryRun) {
        if (v.reason === 'unrecorded') c.tally.unrecorded++;
        return { ...base, action: 'download', reason: v.reason, bytes: size };
      }
      await makeFolderInside(c.root, c.path);
      await assertReplaceable(c.path);
      // Regular files only, as assertReplaceable said: a FIFO or device put in its place meanwhile is not written to.
      const download = await getOne(s, c.loc, c.path, { restoreFileStamp: true, regularOnly: true }, events);
      if (!download.encrypted) c.tally.plain++;
      else if (v.reason === 'unrecorded') c.tally.unrecorded++;
      await rememberWritten(s, c.path, download.sha256);
      return { ...base, action: 'download', reason: v.reason, bytes: download.size, download };
    }
    case 'delete-remote':
      if (!spec.dryRun) await deleteObject(s, c.loc, events);
      return { ...base, action: 'delete', side: 'remote' };
    case 'delete-local':
      if (!spec.dryRun) await deleteLocalFile(s, c.path);
      return { ...base, action: 'delete', side: 'local' };
    case 'fail':
      throw new Sse3Error('LOCAL_IO', v.message);
    default:
      throw new Error(`sync: unexpected verdict ${v.do}`);
  }
}

/** An item that fails with error when it runs: reported in its turn, as any other failure. */
const failing = (label: string, ids: SyncWork['ids'], error: unknown): SyncWork =>
  ({ label, ids, bytes: 0, run: async () => { throw error; } });

export const recordState = (e: ManifestEntry | undefined): RecordState | undefined => e &&
  { size: e.size, etag: e.etag, sha256: e.sha256, mtimeMs: e.mtimeMs ?? undefined, from: 'manifest', versionId: e.versionId,
    fingerprint: e.fingerprint, lastModified: e.lastModified, modifiedBefore: e.modifiedBefore };

/**
 * A manifest record the listing confirmed by a bound of its time (a version sse3 wrote) keeps the listed time, so the
 * next comparison is exact. Not in a dry run, which writes nothing.
 */
export function keepListedTime(s: Session, loc: S3Location, record: RecordState | undefined, remote: RemoteState | undefined,
  dryRun: boolean): void {
  if (dryRun || !record || !remote || record.from !== 'manifest' || record.fingerprint === undefined) return;
  const listed = listedAsRecorded(record, remote);
  if (listed.same && listed.pin) {
    s.manifest.pinListed({ endpoint: s.conn.endpoint, ...loc, versionId: record.versionId ?? '', fingerprint: record.fingerprint,
      size: record.size, etag: record.etag }, listed.pin);
  }
}

async function* localEntries(spec: SyncSpec): AsyncGenerator<LocalWalkEntry> {
  // Down into a folder that does not exist yet: an empty folder, made with the first file downloaded (makeFolderInside).
  if (spec.direction === 'down' && !(await fs.stat(spec.root).catch(() => undefined))) return;
  yield* walkLocalSorted(spec.root, { followSymlinks: spec.direction === 'up', include: spec.filter });
}

/** The objects under a scope by relative name; filtered where the name is one a filter can judge. */
export async function* listRelative(s: Session, scope: Scope, filter?: (rel: string) => boolean): AsyncGenerator<RemoteEntry> {
  for await (const o of listScope(s, scope)) {
    const rel = relativeKey(scope, o.key);
    if (filter && isLocalName(rel) && !filter(rel)) continue;
    yield { rel, key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified };
  }
}

/** The manifest's latest record of each object under a scope, looked up by relative name in march order. */
export const recordCursor = (s: Session, scope: Scope) => new SortedCursor<ManifestEntry>(
  (after) => s.manifest.latestPage({ endpoint: s.conn.endpoint, bucket: scope.bucket, prefix: scope.prefix }, after, PAGE),
  (e) => e.key, (e) => e.key.slice(scope.prefix.length));
