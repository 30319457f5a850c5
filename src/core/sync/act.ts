import { removeVersion } from '../objects/remove.js';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { Sse3Error } from '../../errors.js';
import { newEntry } from '../../manifest/entry.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import type { TransferEvents } from '../context.js';
import type { Session } from '../session/session.js';
import { keepingKnown } from '../recorded.js';
import { readObjectTags, sse3Values } from '../tags.js';
import { type FileStamp, sameStamp, stampOf, wholeMs } from '../../local/files.js';
import type { LocalState, RecordState, RemoteState } from './decide.js';

/** The per-path operations of a sync that are not transfers (those are putOne and getOne): they act on one path. */

/**
 * The record an object's sse3 tags give (fingerprint and plaintext SHA-256; tags need no key), or undefined when it
 * has none. Unless dryRun, a tagged object is recorded in the manifest with the listed time, keeping what this home
 * knew of the same content (keepingKnown), so the next sync asks the manifest instead.
 */
export async function recordFromObjectTags(s: Session, loc: S3Location, remote: RemoteState, dryRun: boolean)
  : Promise<RecordState | undefined> {
  let read;
  try {
    // Tags that may not be read fail this path (readObjectTags): an object is never taken for unrecorded on a guess.
    read = await readObjectTags(s, loc, { what: 'SHA-256', op: 'tagging' });
  } catch (e) {
    // Gone since the listing: the object has no record to go by.
    if (e instanceof Sse3Error && e.code === 'NO_OBJECT') return undefined;
    throw e;
  }
  const { fingerprint, sha256 } = sse3Values(read.tags, { ...loc, versionId: read.versionId }, 'tag');
  if (!fingerprint) return undefined;
  const location = { endpoint: s.conn.endpoint, ...loc };
  const entry = keepingKnown(newEntry(location, { versionId: read.versionId, fingerprint, size: remote.size, sha256, etag: remote.etag,
    lastModified: remote.lastModified?.toISOString() }), s.manifest.lookup(location, read.versionId));
  if (!dryRun) s.manifest.record(entry);
  if (!entry.sha256) return undefined;
  return { size: remote.size, etag: remote.etag, sha256: entry.sha256, ...(entry.mtimeMs != null ? { mtimeMs: entry.mtimeMs } : {}),
    from: 'tags', versionId: read.versionId };
}

/** A file as a walk saw it, to tell whether it changed while it was hashed. */
export interface SeenFile extends FileStamp {
  path: string;
}

/**
 * The file's SHA-256, remembered in the hash cache (unless dryRun) when the file did not change while it was read.
 * A file that did change gets its new size and mtime and a checksum that matches nothing, so it counts as changed.
 */
export async function hashLocalFile(s: Session, file: SeenFile, dryRun: boolean): Promise<LocalState> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file.path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  } catch (e) {
    throw new Sse3Error('LOCAL_IO', `cannot read ${file.path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const sha256 = hash.digest('hex');
  const st = await fs.stat(file.path).catch((e: NodeJS.ErrnoException) => {
    throw new Sse3Error('LOCAL_IO', `cannot read ${file.path}: ${e.code}`);
  });
  const stamp = stampOf(st);
  if (!sameStamp(stamp, file)) return { size: st.size, mtimeMs: wholeMs(st.mtimeMs), sha256: 'changed while it was read' };
  if (!dryRun) s.manifest.localHashes.remember({ path: file.path, ...stamp, sha256 });
  return { size: st.size, mtimeMs: wholeMs(st.mtimeMs), sha256 };
}

/** After a download: remember the written file's SHA-256 under its final stat, so the next sync need not read it. */
export async function rememberWritten(s: Session, path: string, sha256: string): Promise<void> {
  const st = await fs.stat(path);
  s.manifest.localHashes.remember({ path, ...stampOf(st), sha256 });
}

/** A download must replace only a regular file (or nothing): never a link, device or folder. */
export async function assertReplaceable(path: string): Promise<void> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (st && !st.isFile()) throw new Sse3Error('LOCAL_IO', `${path} is not a regular file; not replaced`);
}

/** Delete a local file a sync --delete found only in the destination: a regular file, nothing else. */
export async function deleteLocalFile(s: Session, path: string): Promise<void> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isFile()) throw new Sse3Error('LOCAL_IO', `${path} is not a regular file; not deleted`);
  await fs.unlink(path).catch((e: NodeJS.ErrnoException) => {
    throw new Sse3Error('LOCAL_IO', `cannot delete ${path}: ${e.code}`);
  });
  s.manifest.localHashes.forget(path);
}

/**
 * Delete an object as rm does (no key needed; its manifest row goes in the same step where the object is really gone).
 * In a versioned bucket the server adds a delete marker and keeps the versions, so their records stay.
 */
export async function deleteObject(s: Session, loc: S3Location, events: TransferEvents): Promise<void> {
  const r = await removeVersion(s, { ...loc, versionId: '' });
  if (r.markerCreated) events.onWarning?.(`${formatS3Url(loc)}: the bucket keeps versions; its older versions stay recorded`);
}
