import { type Sameness, sameVersion } from '../recorded.js';

/**
 * What sync does with one path, decided without I/O from what is known about it. When the answer needs more facts
 * (the object's tags, the local file's SHA-256) the verdict asks for them; the caller gets them and asks again. So
 * every rule lives here and is tested case by case, and a path whose record and stat already answer costs nothing.
 */

/** up: local → s3; down: s3 → local (s3 → s3 has its own decideCopy). */
export type Direction = 'up' | 'down';

/** The local file: stat's size and mtime (whole ms), and its SHA-256 once hashed or taken from the hash cache. */
export interface LocalState {
  size: number;
  mtimeMs: number;
  sha256?: string;
}

/**
 * The object as the listing shows it. Its ETag and LastModified only tell whether it is the version a record is of
 * (core/recorded.ts): never whether its content changed, which only the recorded SHA-256 says.
 */
export interface RemoteState {
  size: number;
  etag: string;
  lastModified?: Date;
}

/** What sse3 recorded about the object: from the manifest, or from the object's sse3 tags. */
export interface RecordState {
  size: number;
  etag: string;
  sha256: string;
  mtimeMs?: number;
  from: 'manifest' | 'tags';
  /** The recorded version (for updating its record; not part of any decision). */
  versionId?: string;
  fingerprint?: string;
  /** What the manifest's record holds of the version's time (see ManifestEntry). */
  lastModified?: string | null;
  modifiedBefore?: string | null;
}

export interface PairState {
  direction: Direction;
  local?: LocalState;
  /** Something sync must not read, overwrite or delete sits at this path locally (why, in words). */
  localBlocked?: string;
  remote?: RemoteState;
  record?: RecordState;
  /** The object's tags were read already (there is no better record to be had). */
  tagsRead: boolean;
  checksum: boolean;
  delete: boolean;
}

/** Why a file is transferred. */
export type Reason = 'new' | 'size' | 'content' | 'unrecorded';

export type Verdict =
  | { do: 'read-tags' }
  | { do: 'hash' }
  | { do: 'upload'; reason: Reason }
  | { do: 'download'; reason: Reason }
  | { do: 'delete-remote' }
  | { do: 'delete-local' }
  /** Same content; recordMtime: remember this mtime for the object (a touched file, or a record without one). */
  | { do: 'unchanged'; recordMtime?: number }
  /**
   * Nothing is done: only in the destination without --delete; the source could not be read there; or only a link,
   * device or the like is in the local destination (not part of the sync, never deleted).
   */
  | { do: 'skip'; why: 'not-deleted' | 'source-unreadable' | 'not-a-file' }
  | { do: 'fail'; message: string };

/**
 * A record describes the listed object only if it has a checksum and is of that very version: one made from the
 * object's tags just now, or a manifest record the listing shows unchanged (sameVersion: size, ETag and LastModified).
 * An object another writer replaced or re-keyed since has no record to judge by until its tags are read.
 */
export function recordFits(record: RecordState | undefined, remote: RemoteState): record is RecordState {
  if (!record || record.sha256 === '' || record.size !== remote.size) return false;
  return record.from === 'tags' || listedAsRecorded(record, remote).same;
}

/** sameVersion of a record and a listing of current versions (which names no version ids). */
export const listedAsRecorded = (record: RecordState, remote: RemoteState): Sameness => sameVersion(
  { versionId: record.versionId ?? '', size: record.size, etag: record.etag, lastModified: record.lastModified, modifiedBefore: record.modifiedBefore },
  { versionId: '', size: remote.size, etag: remote.etag, lastModified: remote.lastModified });

export function decide(p: PairState): Verdict {
  return p.direction === 'up' ? decideUp(p) : decideDown(p);
}

function decideUp(p: PairState): Verdict {
  const { local, remote } = p;
  if (!local) {
    if (p.localBlocked) return { do: 'skip', why: 'source-unreadable' };
    if (!remote) throw new Error('sync: a path with neither a file nor an object');
    return p.delete ? { do: 'delete-remote' } : { do: 'skip', why: 'not-deleted' };
  }
  if (!remote) return { do: 'upload', reason: 'new' };
  if (local.size !== remote.size) return { do: 'upload', reason: 'size' };
  const record = usableRecord(p, remote);
  if (record === 'read-tags') return { do: 'read-tags' };
  if (!record) return { do: 'upload', reason: 'unrecorded' };
  // A known SHA-256 (hashed, or remembered for this very stat) settles it; otherwise an unchanged mtime does, unless
  // --checksum. Touched files, and records without an mtime, are hashed; a match records the file's mtime.
  if (local.sha256 !== undefined) {
    if (local.sha256 !== record.sha256) return { do: 'upload', reason: 'content' };
    return record.mtimeMs === local.mtimeMs ? { do: 'unchanged' } : { do: 'unchanged', recordMtime: local.mtimeMs };
  }
  return !p.checksum && record.mtimeMs === local.mtimeMs ? { do: 'unchanged' } : { do: 'hash' };
}

function decideDown(p: PairState): Verdict {
  const { local, remote } = p;
  if (!remote) {
    if (local) return p.delete ? { do: 'delete-local' } : { do: 'skip', why: 'not-deleted' };
    // Links, devices, sse3's temporary files: never deleted.
    if (p.localBlocked) return { do: 'skip', why: 'not-a-file' };
    throw new Error('sync: a path with neither a file nor an object');
  }
  if (p.localBlocked) return { do: 'fail', message: `${p.localBlocked}; not replaced` };
  if (!local) return { do: 'download', reason: 'new' };
  if (local.size !== remote.size) return { do: 'download', reason: 'size' };
  const record = usableRecord(p, remote);
  if (record === 'read-tags') return { do: 'read-tags' };
  if (!record) return { do: 'download', reason: 'unrecorded' };
  if (local.sha256 === undefined) return { do: 'hash' };
  return local.sha256 === record.sha256 ? { do: 'unchanged' } : { do: 'download', reason: 'content' };
}

/** The record to judge by; without one that fits, the tags are read once before the object counts as unrecorded. */
function usableRecord(p: PairState, remote: RemoteState): RecordState | undefined | 'read-tags' {
  if (recordFits(p.record, remote)) return p.record;
  return p.tagsRead ? undefined : 'read-tags';
}

/** s3 → s3: the source and destination objects at one relative name, and what sse3 recorded about each. */
export interface CopyState {
  source?: RemoteState;
  sourceRecord?: RecordState;
  sourceTagsRead: boolean;
  dest?: RemoteState;
  destRecord?: RecordState;
  destTagsRead: boolean;
  delete: boolean;
}

export type CopyVerdict =
  | { do: 'read-source-tags' }
  | { do: 'read-tags' }
  | { do: 'copy'; reason: Reason }
  | { do: 'delete-remote' }
  | { do: 'unchanged' }
  | { do: 'skip'; why: 'not-deleted' };

/**
 * s3 → s3 compares the two objects' recorded plaintext SHA-256 (there is no file to read): copied when the
 * destination is missing, its size differs, either side has no record even in its tags, or the checksums differ.
 * Which key encrypts the destination does not make it differ (re-keying what is unchanged is rotate's job).
 */
export function decideCopy(p: CopyState): CopyVerdict {
  const { source, dest } = p;
  if (!source) {
    if (!dest) throw new Error('sync: a name with neither a source nor a destination object');
    return p.delete ? { do: 'delete-remote' } : { do: 'skip', why: 'not-deleted' };
  }
  if (!dest) return { do: 'copy', reason: 'new' };
  if (source.size !== dest.size) return { do: 'copy', reason: 'size' };
  if (!recordFits(p.sourceRecord, source)) return p.sourceTagsRead ? { do: 'copy', reason: 'unrecorded' } : { do: 'read-source-tags' };
  if (!recordFits(p.destRecord, dest)) return p.destTagsRead ? { do: 'copy', reason: 'unrecorded' } : { do: 'read-tags' };
  return p.sourceRecord.sha256 === p.destRecord.sha256 ? { do: 'unchanged' } : { do: 'copy', reason: 'content' };
}
