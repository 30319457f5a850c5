import type { ManifestEntry } from '../manifest/entry.js';
import type { ListedObject } from '../s3/list.js';
import { namesOneWrite } from '../s3/version.js';

/**
 * The one rule for "this listed object version is the one sse3 recorded", for every place a record meets a listing
 * (ls, manifest pull, sync, adopt), and what a record made from an object's tags keeps of what was recorded here.
 *
 * A listing shows a version's size, ETag, LastModified and (when versions are listed) its id. A version id names one
 * version for good. Without one (an unversioned object, or a listing of current versions) the object may have been
 * rewritten in place, and the ETag does not always tell: Ceph gives a single-part SSE-C object the MD5 of its
 * plaintext, so re-encrypting it under another key (a teammate's rotation) keeps its ETag. Its LastModified changes,
 * so it decides — also for a change of tags alone, which Ceph counts as a modification of an unversioned object:
 * reading the tags once then confirms the record, at the cost of one request.
 */

/** What a record says of its version that a listing can check. */
export type RecordedStamp = Pick<ManifestEntry, 'versionId' | 'size' | 'etag' | 'lastModified' | 'modifiedBefore'>;
/** What a listing says of a version. */
export type ListedStamp = Pick<ListedObject, 'versionId' | 'size' | 'etag' | 'lastModified'>;

export type Sameness =
  /** The record is of the listed version. pin: the LastModified to keep in the record (it held only a bound, or none). */
  | { same: true; pin?: string }
  /**
   * changed: another version than the one recorded. unconfirmed: the record holds no time to compare with (a record
   * from before sse3 kept them, or one made from a HEAD): the object's tags tell.
   */
  | { same: false; why: 'changed' | 'unconfirmed' };

/** Whether the listed version is the recorded one. */
export function sameVersion(record: RecordedStamp, listed: ListedStamp): Sameness {
  const listedAt = listed.lastModified?.toISOString();
  const pin = listedAt !== undefined && listedAt !== record.lastModified ? { pin: listedAt } : {};
  if (record.size !== listed.size || (record.etag && listed.etag && record.etag !== listed.etag)) return changed;
  // Listed with its version id: a version never changes once written. S3's "null" one does (every write while versioning
  // is off or suspended replaces it): it is compared by time, as an object listed without a version id.
  if (listed.versionId && record.versionId !== listed.versionId) return changed;
  if (namesOneWrite(listed.versionId)) return { same: true, ...pin };
  if (listedAt === undefined) return record.etag && listed.etag ? { same: true } : unconfirmed;
  if (record.lastModified) return record.lastModified === listedAt ? { same: true } : changed;
  if (record.modifiedBefore) return listedAt < record.modifiedBefore ? { same: true, ...pin } : changed;
  return unconfirmed;
}

const changed: Sameness = { same: false, why: 'changed' };
const unconfirmed: Sameness = { same: false, why: 'unconfirmed' };

/**
 * The record's time bound from the answer to a write (its Date header, whole seconds): before the end of the second
 * after it. Ceph RGW can stamp the version a little after the Date it answers with (seen on a loaded machine), so the
 * end of the Date's own second is not a safe bound.
 */
export const writtenBefore = (serverDate: Date | undefined): string | undefined =>
  (serverDate ? new Date(Math.floor(serverDate.getTime() / 1000) * 1000 + 2000).toISOString() : undefined);

/** The object's own tags say what the record says: the same key, and the same checksum. */
export const tagsConfirm = (record: ManifestEntry, tags: { fingerprint?: string; sha256?: string }): boolean =>
  tags.fingerprint === record.fingerprint && (tags.sha256 ?? '') === record.sha256;

/**
 * A record made from a listed version's tags, keeping what only this home knows of it — the SHA-256 a download here
 * computed and the source file's time — when it is provably the same content: the same version and size, and the same
 * checksum (or, the tags naming none, the same ETag, which for an SSE-C object is made from its content and key).
 */
export function keepingKnown(entry: ManifestEntry, known: ManifestEntry | undefined): ManifestEntry {
  if (!known || known.versionId !== entry.versionId || known.size !== entry.size) return entry;
  const sha256 = entry.sha256 || (known.etag !== '' && known.etag === entry.etag ? known.sha256 : '');
  const sameContent = sha256 !== '' && sha256 === known.sha256;
  return { ...entry, sha256, mtimeMs: entry.mtimeMs ?? (sameContent ? known.mtimeMs ?? null : null) };
}
