import { describeS3Error } from '../../s3/errors.js';
import { formatS3Url } from '../../s3/url.js';
import { versionIdOf } from '../../s3/version.js';
import type { Io } from '../context.js';
import { type RetireCheck, retirementChecks } from '../rotation/retire.js';
import type { Session } from '../session/session.js';

/** One thing to delete: an object's current version (versionId ''), a given version, or a delete marker. */
export interface RemoveTarget {
  bucket: string;
  key: string;
  versionId: string;
  deleteMarker?: boolean;
}

export interface RemoveResult {
  url: string;
  bucket: string;
  key: string;
  versionId: string;
  /** A versioned bucket kept the object's versions and placed this delete marker instead. */
  markerCreated: string | null;
  deleteMarker: boolean;
  /** Fingerprints of the manifest rows removed with it. */
  forgotten: string[];
}

/**
 * Delete one object version (no key needed) and, in the same step, the manifest row of what is really gone: the
 * given version, or the unversioned object. A delete marker in a versioned bucket removes nothing, so no row goes.
 */
export async function removeVersion(io: Io, t: RemoveTarget): Promise<RemoveResult> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const url = formatS3Url(t);
  let resp;
  try {
    resp = await io.conn.client.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: t.key, VersionId: t.versionId || undefined }),
      { abortSignal: io.signal });
  } catch (e) {
    throw describeS3Error(e, { op: 'delete', url });
  }
  const location = { endpoint: io.conn.endpoint, bucket: t.bucket, key: t.key };
  // Versioning on: a delete without a version only hides the object behind a marker, and every version stays.
  const marker = versionIdOf(resp.VersionId);
  const markerCreated = !t.versionId && resp.DeleteMarker && marker ? marker : null;
  const row = markerCreated ? undefined : io.manifest.lookup(location, t.versionId);
  const forgotten = row && io.manifest.remove(location, t.versionId) ? [row.fingerprint] : [];
  return { url, bucket: t.bucket, key: t.key, versionId: t.versionId, markerCreated, deleteMarker: Boolean(t.deleteMarker), forgotten };
}

/**
 * Of the fingerprints whose rows a deletion removed, those no recorded object version needs any more. The one
 * place rm decides what to advise retiring.
 */
export function keysNoLongerNeeded(s: Session, fingerprints: Iterable<string>, buckets: Iterable<string>,
  opts: { wholeBucket?: string; jobs: number }): Promise<RetireCheck[]> {
  return retirementChecks(s, fingerprints, buckets, opts);
}
