import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Sse3Error } from '../../errors.js';
import { baseName, formatS3Url, type S3Location } from '../../s3/url.js';
import type { TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { copyObject, type CopyResult } from './copy.js';
import { downloadObject, type DownloadResult, type DownloadTarget } from './download.js';
import { downloadDestination } from '../../local/destination.js';
import { type FileStamp, localIoError, stampOf, wholeMs } from '../../local/files.js';
import { keyForObject, type Session } from '../session/session.js';
import { recordFoundByTag, withObjectKey } from '../session/heal.js';
import { uploadObject, type UploadResult } from './upload.js';

/**
 * One object moved in one direction: local → s3 (put), s3 → local (get), s3 → s3 (copy). Standard input and output
 * are the command's to hand in: nothing here reads the process's streams or environment.
 */

export interface LocalFile {
  path: string;
  size: number;
  /** As it was when chosen: a file that no longer matches it while being uploaded is not stored. */
  stamp: FileStamp;
}

/** A local file to upload (size and change stamp), with the errors a user can act on. */
export async function localFile(path: string): Promise<LocalFile> {
  const st = await fs.stat(path).catch((e: NodeJS.ErrnoException) => {
    throw localIoError(e, 'reading', path);
  });
  if (!st.isFile()) throw new Sse3Error('USAGE', `${path} is not a regular file`, 'upload a folder with: sse3 cp --recursive');
  return { path, size: st.size, stamp: stampOf(st) };
}

/** What put uploads: a local file, or a stream of unknown length (standard input, handed in by the command). */
export type PutSource = LocalFile | { stream: AsyncIterable<Uint8Array> };

/** Upload one local file or stream encrypted with sseKey. */
export async function putOne(s: Session, from: PutSource, dst: S3Location, sseKey: SseCKey,
  opts: { contentType?: string; tuning?: Tuning }, events: TransferEvents = {}): Promise<UploadResult> {
  const file = 'stream' in from ? undefined : from;
  events.onStart?.(file?.size);
  return uploadObject({
    io: s, target: { ...dst, sseKey, contentType: opts.contentType, mtimeMs: file ? wholeMs(file.stamp.mtimeMs) : undefined },
    source: 'stream' in from ? { kind: 'stream', body: from.stream } : { kind: 'file', ...from },
    tuning: opts.tuning, events,
  });
}

/** Local path for a download: DST, DST/<name> when DST is a folder, or <name> in the current folder. */
export async function localTarget(dst: string | undefined, objectKey: string): Promise<string> {
  const name = baseName(objectKey);
  if (dst === undefined) return resolve(name);
  const isDir = dst.endsWith('/') || (await fs.stat(dst).then((st) => st.isDirectory(), () => false));
  return isDir ? resolve(join(dst, name)) : resolve(dst);
}

export interface GetOutcome extends DownloadResult {
  url: string;
  path: string | null;
  fingerprint: string;
  keySource: string;
}

/**
 * Download one object to a local path, or to standard output (a stream the command hands in), its key found through
 * the session (keys given with --key, the manifest, the tag). A path that is a character device or FIFO is written
 * directly, a symbolic link is followed (see downloadDestination); with regularOnly (recursive downloads) only regular
 * files are written. restoreMtime gives a written file the recorded mtime.
 */
export async function getOne(s: Session, loc: S3Location, to: string | Writable,
  opts: { versionId?: string; regularOnly?: boolean; restoreMtime?: boolean },
  events: TransferEvents = {}): Promise<GetOutcome> {
  const url = formatS3Url(loc);
  const path = typeof to === 'string' ? to : undefined;
  let target: DownloadTarget;
  if (typeof to === 'string') {
    const parent = await fs.stat(resolve(to, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw new Sse3Error('LOCAL_IO', `folder of ${to} does not exist`, 'create it first');
    target = await downloadDestination(to, { devices: !opts.regularOnly });
  } else {
    target = { kind: 'stream', stream: to, name: 'stdout' };
  }
  let found = await keyForObject(s, loc, { versionId: opts.versionId, required: true, op: 'get' });
  const r = await withObjectKey(s, loc, found, { versionId: opts.versionId, op: 'get', onHealed: events.onWarning }, (f) => {
    found = f;
    const { entry } = f;
    return downloadObject({
      io: s, object: { ...loc, versionId: opts.versionId }, sseKey: f.key!,
      expected: { sha256: entry?.sha256, versionId: entry?.versionId, size: entry?.size, fingerprint: f.fingerprint,
        mtimeMs: entry?.mtimeMs ?? undefined },
      target, events, restoreMtime: opts.restoreMtime,
    });
  });
  recordFoundByTag(s, loc, found, { versionId: r.versionId, size: r.size, etag: r.etag, sha256: r.sha256, mtimeMs: r.mtimeMs });
  if (r.checkedAgainst === 'none') events.onWarning?.(`${url} has no recorded SHA-256 (not written by sse3?): integrity not verified`);
  return { ...r, url, path: path ?? null, fingerprint: found.key!.fingerprint, keySource: found.key!.source };
}

/**
 * s3 → s3: the source key from the session's given keys (--source-key) or found through the manifest; the
 * destination key given, else the same key.
 */
export async function copyOne(s: Session, src: S3Location, dst: S3Location,
  opts: { destKey?: SseCKey; tuning?: Tuning }, events: TransferEvents = {}): Promise<CopyResult> {
  const found = await keyForObject(s, src, { required: false, op: 'copy' });
  if (!found.key && found.fingerprint) {
    throw new Sse3Error('NO_KEY', `${formatS3Url(src)} needs the key with fingerprint ${found.fingerprint}, which sse3 cannot find`,
      'pass it with --source-key REF');
  }
  if (!opts.destKey && !found.key) throw new Sse3Error('USAGE', `no key to encrypt ${formatS3Url(dst)} with`, 'pass --key REF');
  return withObjectKey(s, src, found, { op: 'copy', onHealed: events.onWarning }, (f) => copyObject({
    io: s, tuning: opts.tuning, events,
    source: { ...src, sseKey: f.key, sha256: f.entry?.fingerprint === f.key?.fingerprint ? f.entry?.sha256 : undefined,
      expectedFingerprint: f.fingerprint },
    dest: { ...dst, sseKey: opts.destKey ?? f.key! },
  }));
}
