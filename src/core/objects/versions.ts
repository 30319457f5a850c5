import { Sse3Error } from '../../errors.js';
import { statusOf } from '../../s3/errors.js';
import { listLevel } from '../../s3/list.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import type { Io } from '../context.js';

// What one named version of an object is, from the object's listing: a request for a version answers a delete marker
// (405) or a missing version (404) in as many ways as there are requests, the listing in one.

export type VersionKind = 'version' | 'delete-marker' | 'missing';

/** Whether `versionId` of the object is a version, a delete marker, or none of its entries. */
export async function versionKind(io: Io, loc: S3Location, versionId: string): Promise<VersionKind> {
  for await (const e of listLevel(io.conn, loc.bucket, loc.key, { versions: true, deleteMarkers: true }, io.signal)) {
    if (e.kind === 'object' && e.key === loc.key && e.versionId === versionId) return e.deleteMarker ? 'delete-marker' : 'version';
  }
  return 'missing';
}

/** A named version that has no content to read: a delete marker, or no version of that id. */
export function noSuchVersion(loc: S3Location, versionId: string, kind: Exclude<VersionKind, 'version'>): Sse3Error {
  const url = formatS3Url(loc);
  return kind === 'delete-marker'
    ? new Sse3Error('NO_OBJECT', `${url} version ${versionId} is a delete marker (the object was deleted there): it has no content`,
      `see its versions with: sse3 ls ${url} --versions; sse3 rm ${url} --version-id ${versionId} removes the marker (undeletes it)`)
    : new Sse3Error('NO_OBJECT', `${url} has no version ${versionId}`, `see its versions with: sse3 ls ${url} --versions`);
}

/**
 * Run a read of one named version; when it fails as a missing object or a refused method (S3 answers 405 for a delete
 * marker), say what that version is instead.
 */
export async function readingVersion<T>(io: Io, loc: S3Location, versionId: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (versionId === undefined || !(e instanceof Sse3Error) || !mayBeAbsentVersion(e)) throw e;
    const kind = await versionKind(io, loc, versionId);
    if (kind === 'version') throw e;
    throw noSuchVersion(loc, versionId, kind);
  }
}

/** NO_OBJECT, or the server's 405 (MethodNotAllowed): what S3 answers a read of a delete marker. */
export function mayBeAbsentVersion(e: Sse3Error): boolean {
  if (e.code === 'NO_OBJECT') return true;
  return e.cause !== undefined && statusOf(e.cause) === 405;
}
