/**
 * Version ids as sse3 keeps them. S3 names the version of an object written while its bucket was not versioning
 * "null"; sse3 keeps no version id for it: '' (the manifest's row of an unversioned object, a request without a
 * versionId). Every version id a server sends goes through versionIdOf, so how "null" is kept is decided here alone.
 */

/** S3's name for the version of an object written while versioning was off or suspended. */
export const NULL_VERSION_ID = 'null';

/** The version id sse3 keeps for one a server sent: '' for none, and for S3's "null". */
export const versionIdOf = (sent: string | null | undefined): string => (!sent || sent === NULL_VERSION_ID ? '' : sent);

/** A kept version id as S3 names it, for a person to read: '' is S3's "null". */
export const s3VersionId = (kept: string): string => kept || NULL_VERSION_ID;
