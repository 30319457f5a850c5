// The manifest's records as values, each declared once (the store, the export document and the import read these):
// no SQLite here, so code that only builds or compares records loads no native addon.
import { recordedVersionId } from '../s3/version.js';

/** One object version written by sse3 and the fingerprint of the key that encrypted it. */
export interface ManifestEntry {
  endpoint: string;
  bucket: string;
  key: string;
  /** The version as S3 names it: "null" for one written while the bucket was not versioning. */
  versionId: string;
  fingerprint: string;
  size: number;
  sha256: string;
  etag: string;
  /** ISO 8601. */
  createdAt: string;
  /**
   * Modification time (whole milliseconds since the epoch) of the local file the object was uploaded from, or that a
   * sync found unchanged since; null for uploads from a stream or a copy, and for entries recorded before sse3 kept it.
   */
  mtimeMs?: number | null;
  /**
   * When the version was last modified, as a listing showed it (ISO 8601, the listing's precision); null until a
   * listing was compared with the record. With modifiedBefore, what tells a listed version is this one (core/recorded.ts).
   */
  lastModified?: string | null;
  /**
   * For a version sse3 wrote (or wrote tags of) and no listing has shown since: a time its LastModified is before — the
   * server's clock at the write's answer, plus the second that clock is rounded down to. null when not known.
   */
  modifiedBefore?: string | null;
}

export interface ObjectLocation {
  endpoint: string;
  bucket: string;
  key: string;
}

/**
 * A rotation journalled before the object is touched: while it is pending,
 * both fingerprints that may open the object are on record.
 */
export interface RotationRecord extends ObjectLocation {
  id: number;
  oldVersion: string;
  oldFingerprint: string;
  newFingerprint: string;
  size: number;
  sha256: string;
  state: 'pending' | 'done' | 'abandoned';
  pid: number;
  startedAt: string;
}

/** A multipart upload sse3 started and has not yet completed or aborted. */
export interface PendingUpload extends ObjectLocation {
  uploadId: string;
  fingerprint: string;
  pid: number;
  startedAt: string;
  /** Set just before CompleteMultipartUpload: the upload may have become an object that still needs recording. */
  completing?: { sha256: string; size: number };
  /**
   * A random value also stored in the object's metadata (x-amz-meta-sse3-upload): an object holding it is the one
   * this upload wrote. Absent in uploads journalled before sse3 kept one.
   */
  token?: string;
}

/** An endpoint declared to be another name of a server (sse3 manifest alias). */
export interface EndpointAlias {
  alias: string;
  endpoint: string;
}

/** ETags (without their quotes) and version ids as the manifest keeps them: printable ASCII, no space or quote. */
export const TOKEN = /^[\x21\x23-\x7e]{0,1024}$/;

/**
 * An ETag as the manifest keeps it, and as listings give it: without quotes (also a weak ETag's inner ones). One that
 * is not a token is not kept (''): it only ever tells whether a listed object is the one recorded, and '' says unknown.
 */
export function etagOf(sent: string | undefined): string {
  const etag = (sent ?? '').replace(/"/g, '');
  return TOKEN.test(etag) ? etag : '';
}

/** The range of a JavaScript Date, in milliseconds either side of the epoch. */
const DATE_RANGE_MS = 8.64e15;

/**
 * A file modification time the manifest keeps: whole milliseconds within the range of a date. Any other (a file
 * dated beyond the year 275,760) is not kept: null, as for a stream, so sync reads that file rather than trust it.
 */
export const recordableMtime = (mtimeMs: number | null | undefined): number | null =>
  (typeof mtimeMs === 'number' && Number.isSafeInteger(mtimeMs) && Math.abs(mtimeMs) <= DATE_RANGE_MS ? mtimeMs : null);

/**
 * An object key the manifest records: what S3 takes (1 to 1024 bytes of UTF-8, well-formed), without NUL. Any other
 * character may be in a file name or a key, control characters included: they are data, never instructions.
 */
export const isObjectKey = (key: unknown): key is string => typeof key === 'string' && key !== '' && !key.includes('\0') &&
  Buffer.from(key).toString() === key && Buffer.byteLength(key) <= 1024;

/**
 * The one way a manifest entry is made: version "null" where the server named none (s3/version.ts), ETag unquoted,
 * time of recording, a file time only when the manifest can keep it.
 */
export function newEntry(loc: ObjectLocation, e: { versionId?: string; fingerprint: string; size: number; sha256?: string;
  etag?: string; createdAt?: string; mtimeMs?: number | null; lastModified?: string | null; modifiedBefore?: string | null })
  : ManifestEntry {
  return {
    endpoint: loc.endpoint, bucket: loc.bucket, key: loc.key, versionId: recordedVersionId(e.versionId), fingerprint: e.fingerprint,
    size: e.size, sha256: e.sha256 ?? '', etag: etagOf(e.etag), createdAt: e.createdAt ?? new Date().toISOString(),
    mtimeMs: recordableMtime(e.mtimeMs), lastModified: e.lastModified ?? null, modifiedBefore: e.modifiedBefore ?? null,
  };
}

/**
 * The smallest string after every string that starts with `prefix`, in the manifest's (UTF-8 byte, i.e. code
 * point) order: the last code point plus one. `key >= prefix AND key < prefixSuccessor(prefix)` is exactly "starts
 * with prefix", for keys outside the Basic Multilingual Plane too. undefined: no upper bound ('' or all U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}


