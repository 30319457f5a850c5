import { promises as fs, rmdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Sse3Error } from '../../errors.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import type { TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { copyObject, type CopyResult } from './copy.js';
import { downloadObject, type DownloadResult, type DownloadTarget } from './download.js';
import type { ChecksumSource, DownloadExpectation } from './expectations.js';
import { servedPlain } from '../keyed.js';
import { recordedVersionId } from '../../s3/version.js';
import { downloadDestination } from '../../local/destination.js';
import { localFileNameOf } from '../../local/names.js';
import { type FileStamp, localIoError, makeFolders, stampOf, wholeMs } from '../../local/files.js';
import { keyForObject, type ObjectKey, type Session } from '../session/session.js';
import { recordFound, seenByHead, withObjectKey } from '../session/heal.js';
import { uploadObject, type UploadResult } from './upload.js';
import { guessContentType, type ObjectProps } from '../props.js';

/**
 * One object moved in one direction: local → s3 (put), s3 → local (get), s3 → s3 (copy). Standard input and output
 * are the command's to hand in: nothing here reads the process's streams or environment.
 */

export interface LocalFile {
  path: string;
  size: number;
  /** As it was when chosen: a file that no longer matches it while being uploaded is not stored. */
  stamp: FileStamp;
  /** Permission bits, recorded with the object (sse3-mode) for sync to restore. */
  mode: number;
}

/** A local file to upload (size and change stamp), with the errors a user can act on. */
export async function localFile(path: string): Promise<LocalFile> {
  const st = await fs.stat(path).catch((e: NodeJS.ErrnoException) => {
    throw localIoError(e, 'reading', path);
  });
  if (!st.isFile()) throw new Sse3Error('USAGE', `${path} is not a regular file`, 'upload a folder with: sse3 cp --recursive');
  return { path, size: st.size, stamp: stampOf(st), mode: st.mode & 0o777 };
}

/** What put uploads: a local file, or a stream of unknown length (standard input, handed in by the command). */
export type PutSource = LocalFile | { stream: AsyncIterable<Uint8Array> };

/**
 * Upload one local file or stream encrypted with sseKey, with the properties given (upload options); without a content
 * type, the one the file's name (a stream's: the object's) suggests. A file's mode is recorded with it.
 */
export async function putOne(s: Session, from: PutSource, dst: S3Location, sseKey: SseCKey,
  opts: { props?: ObjectProps; tuning?: Tuning }, events: TransferEvents = {}): Promise<UploadResult> {
  const file = 'stream' in from ? undefined : from;
  const props: ObjectProps = { ...opts.props, contentType: opts.props?.contentType ?? await guessContentType(file?.path ?? dst.key),
    mode: file?.mode };
  events.onStart?.(file?.size);
  return uploadObject({
    io: s, target: { ...dst, sseKey, props, mtimeMs: file ? wholeMs(file.stamp.mtimeMs) : undefined },
    source: 'stream' in from ? { kind: 'stream', body: from.stream } : { kind: 'file', ...from },
    tuning: opts.tuning, events,
  });
}

/**
 * Local path for a download: DST, DST/<name> when DST is a folder, or <name> in the current folder — <name> being the
 * key's last part, when it is a name a folder can hold (local/names.ts).
 */
export async function localTarget(dst: string | undefined, loc: S3Location): Promise<string> {
  const isDir = dst === undefined || dst.endsWith('/') || (await fs.stat(dst).then((st) => st.isDirectory(), () => false));
  if (!isDir) return resolve(dst);
  const folder = dst ?? '.';
  return resolve(folder, localFileNameOf(loc.key, formatS3Url(loc), folder));
}

export interface GetOutcome extends DownloadResult {
  url: string;
  path: string | null;
  /** The key that opened it; null for a plain object. */
  fingerprint: string | null;
  keySource: string | null;
  /** Said once (on stderr, and in the JSON): what became of the object's record, when a download changed it. */
  recordUpdated?: string;
}

/**
 * Download one object to a local path, or to standard output (a stream the command hands in), its key found through
 * the session (keys given with --key, the manifest, the tag, else the keys sse3 can find). A plain object (one the
 * server serves without a key) is downloaded as it is, with a warning. A path that is a character device or FIFO is
 * written directly, a symbolic link is followed (see downloadDestination); with regularOnly (recursive downloads) only
 * regular files are written. restoreFileStamp gives a written file the recorded mtime and mode. givenAsCandidates: one of a batch (keyForObject).
 */
export async function getOne(s: Session, loc: S3Location, to: string | Writable,
  opts: { versionId?: string; regularOnly?: boolean; restoreFileStamp?: boolean; makeFolder?: boolean; givenAsCandidates?: boolean },
  events: TransferEvents = {}): Promise<GetOutcome> {
  const path = typeof to === 'string' ? to : undefined;
  const folder = path === undefined ? undefined : await missingFolder(path, opts.makeFolder);
  let target: DownloadTarget | undefined = typeof to !== 'string' ? { kind: 'stream', stream: to, name: 'stdout' }
    : folder ? undefined : await downloadDestination(to, { devices: !opts.regularOnly });
  const first = await keyForObject(s, loc, { versionId: opts.versionId, required: true, op: 'get', plain: true,
    givenAsCandidates: opts.givenAsCandidates });
  // The object exists: now its folder may be made, and it goes again if nothing is downloaded into it.
  if (folder) {
    await makeFolders(folder.path);
    target = await downloadDestination(path!, { devices: !opts.regularOnly }).catch((e: unknown) => { throw folder.undo(e); });
  }
  try {
    return await getWith(s, loc, first, { target: target!, path }, opts, events);
  } catch (e) {
    throw folder ? folder.undo(e) : e;
  }
}

/**
 * The folder of a download's path when it does not exist: an error, unless the destination named it as a folder
 * (`get s3://b/x out/`, as aws-cli makes it); then it is made once the object is known to exist, and `undo` removes
 * the folders made (the empty ones) when the download fails.
 */
async function missingFolder(path: string, mayMake?: boolean): Promise<{ path: string; undo(e: unknown): unknown } | undefined> {
  const parent = resolve(path, '..');
  if ((await fs.stat(parent).catch(() => undefined))?.isDirectory()) return undefined;
  if (!mayMake) throw new Sse3Error('LOCAL_IO', `folder of ${path} does not exist`, `create it first: mkdir -p ${parent}`);
  let first = parent;
  while (!(await fs.stat(resolve(first, '..')).then(() => true, () => false))) first = resolve(first, '..');
  return {
    path: parent,
    undo(e) {
      for (let f = parent; f.startsWith(first); f = resolve(f, '..')) {
        try { rmdirSync(f); } catch { break; }
      }
      return e;
    },
  };
}

/** Download with the key first found (keyForObject), healing the record as the object answers. */
async function getWith(s: Session, loc: S3Location, first: ObjectKey, { target, path }: { target: DownloadTarget; path?: string },
  opts: { versionId?: string; restoreFileStamp?: boolean }, events: TransferEvents): Promise<GetOutcome> {
  const url = formatS3Url(loc);
  const download = (sseKey: SseCKey | undefined, expected: DownloadExpectation) => downloadObject({ io: s,
    object: { ...loc, versionId: opts.versionId }, sseKey, expected, target, events, restoreFileStamp: opts.restoreFileStamp });
  let found = first;
  const r = first.plain ? await download(undefined, {})
    : await withObjectKey(s, loc, first, { versionId: opts.versionId, op: 'get', onHealed: events.onWarning }, async (f) => {
      found = f;
      // A record of content under another key (a single --key used as given) says nothing about what this key opens.
      const entry = f.entry?.fingerprint === f.key!.fingerprint ? f.entry : undefined;
      try {
        return await download(f.key!, { sha256: entry?.sha256, versionId: entry?.versionId, size: entry?.size,
          fingerprint: f.fingerprint, mtimeMs: entry?.mtimeMs ?? undefined });
      } catch (e) {
        // The server serves it unencrypted: read it again without a key. Only with the key first found (a heal's key has
        // just opened the object, and must not be taken for a plain one).
        if (f !== first || !servedPlain(e)) throw e;
        found = { plain: true, replaced: f.entry };
        return download(undefined, {});
      }
    });
  const outcome = { url, path: path ?? null, fingerprint: found.key?.fingerprint ?? null, keySource: found.key?.source ?? null };
  const said = r.encrypted ? recordDownloaded(s, loc, found, r) : plainDownloaded(s, loc, found, r);
  if (said.line) events.onWarning?.(said.line);
  return { ...r, ...outcome, checkedAgainst: said.checkedAgainst, ...(said.recorded ? { recordUpdated: said.line } : {}) };
}

/** What a download said of the object's record, and what its content was checked against in the end. */
interface Said {
  line?: string;
  /** The line says that the manifest changed. */
  recorded: boolean;
  checkedAgainst: ChecksumSource;
}

/** An encrypted object downloaded with a key found through its tag or by trying keys: recorded as it is now. */
function recordDownloaded(s: Session, loc: S3Location, found: ObjectKey, r: DownloadResult): Said {
  const { line, sameAsRecorded } = recordFound(s, loc, found, { versionId: r.versionId, size: r.size, etag: r.etag,
    sha256: r.sha256, mtimeMs: r.mtimeMs, downloaded: { verified: r.checkedAgainst !== 'none' } });
  if (line) return { line, recorded: true, checkedAgainst: sameAsRecorded ? 'manifest' : r.checkedAgainst };
  return { line: r.checkedAgainst === 'none' ? `${formatS3Url(loc)} has no recorded SHA-256 (not written by sse3?): integrity not verified`
    : undefined, recorded: false, checkedAgainst: r.checkedAgainst };
}

/**
 * A plain object downloaded without a key: said, since it was never encrypted (checked against its own sse3-sha256 if
 * it has one). A record of it as encrypted is out of date — it was written outside sse3 since — and is removed.
 */
function plainDownloaded(s: Session, loc: S3Location, found: ObjectKey, r: DownloadResult): Said {
  const url = formatS3Url(loc);
  const old = found.replaced;
  const same = old !== undefined && old.sha256 !== '' && old.sha256 === r.sha256 && old.size === r.size;
  const checkedAgainst = same ? 'manifest' : r.checkedAgainst;
  const content = checkedAgainst === 'none' ? 'integrity not verified'
    : same ? 'the content is the one recorded (SHA-256 verified)' : `checked against its own sse3-sha256 (${checkedAgainst})`;
  if (old && old.versionId === recordedVersionId(r.versionId)) {
    s.manifest.remove({ endpoint: s.conn.endpoint, ...loc }, old.versionId);
    return { line: `${url}: recorded as encrypted with key ${old.fingerprint}, but the server serves it unencrypted (written outside ` +
      `sse3): record removed; ${content}`, recorded: true, checkedAgainst };
  }
  return { line: `${url} is not encrypted (a plain object, no SSE-C key): downloaded as it is; ${content}`, recorded: false, checkedAgainst };
}

/**
 * s3 → s3: the source key from the session's given keys (--source-key) or found through the manifest, its tag, or by
 * trying the keys sse3 can find (a plain source needs none); the destination key given, else the same key. With a
 * versionId that version is the source: copied onto its own object, it becomes the current version again (a restore).
 */
export async function copyOne(s: Session, src: S3Location, dst: S3Location,
  opts: { destKey?: SseCKey; props?: ObjectProps; tuning?: Tuning; versionId?: string; givenAsCandidates?: boolean },
  events: TransferEvents = {})
  : Promise<CopyResult> {
  const { versionId } = opts;
  const first = await keyForObject(s, src, { versionId, required: true, op: 'copy', plain: true, givenAsCandidates: opts.givenAsCandidates });
  if (!opts.destKey && !first.key) throw new Sse3Error('USAGE', `no key to encrypt ${formatS3Url(dst)} with`, 'pass --key REF');
  let found = first;
  const copied = await withObjectKey(s, src, first, { versionId, op: 'copy', onHealed: events.onWarning }, (f) => {
    found = f;
    return copyObject({
      io: s, tuning: opts.tuning, events, props: opts.props,
      source: { ...src, versionId, sseKey: f.key, sha256: f.entry?.fingerprint === f.key?.fingerprint ? f.entry?.sha256 : undefined,
        expectedFingerprint: f.fingerprint },
      dest: { ...dst, sseKey: opts.destKey ?? f.key! },
    });
  });
  // A source whose key was found by trying keys is recorded as the HEAD that opened it showed it.
  if (found.opened) {
    const { line } = recordFound(s, src, found, seenByHead(src, found.opened));
    if (line) events.onWarning?.(line);
  }
  return copied;
}
