/**
 * Version ids as sse3 keeps them. An id a server sends is kept as sent, S3's "null" included: "null" names one
 * version (the one written while the bucket was not versioning), never "whichever is current". '' is kept where the
 * server named no version (an answer from a bucket that never had versioning, a listing of current objects), and a
 * request with '' asks for the current version. The manifest records versions only, so a write the server answered
 * without a version id is recorded as the version it wrote: "null" (recordedVersionId).
 */

/** S3's name for the version of an object written while versioning was off or suspended. */
export const NULL_VERSION_ID = 'null';

/** The version id sse3 keeps for one a server sent: as sent, '' for none. */
export const versionIdOf = (sent: string | null | undefined): string => sent ?? '';

/**
 * The version a manifest row names: a version id as kept, where '' (the server named none, so the bucket was not
 * versioning) is the version S3 calls "null" — the same one a versioned listing of that object names later.
 */
export const recordedVersionId = (kept: string | null | undefined): string => kept || NULL_VERSION_ID;

/** A kept version id as S3 names it, for a person to read: '' is S3's "null". */
export const s3VersionId = (kept: string): string => kept || NULL_VERSION_ID;

/**
 * Whether a person's line names the version: not for S3's "null" one, which every object of a bucket that never had
 * versioning is (those lines read as before); JSON always carries the id.
 */
export const namesVersion = (kept: string): boolean => kept !== '' && kept !== NULL_VERSION_ID;

/**
 * Whether a version id names one write, whose content never changes. S3's "null" version does not: every write while
 * versioning is off or suspended replaces it in place.
 */
export const namesOneWrite = (kept: string): boolean => kept !== '' && kept !== NULL_VERSION_ID;
