import { Sse3Error } from '../../errors.js';
import { describeS3Error } from '../../s3/errors.js';
import { listLevel } from '../../s3/list.js';
import { formatS3Url, parseS3Url } from '../../s3/url.js';
import { NULL_VERSION_ID, versionIdOf } from '../../s3/version.js';
import { noSuchVersion, versionKind } from './versions.js';
import type { Io } from '../context.js';
import { type RetireCheck, retirementChecks } from '../rotation/retire.js';
import { listScope, parseScope } from '../session/scope.js';
import type { Session } from '../session/session.js';
import { asFolderError } from './folder.js';
import { headWithoutKey } from './keyless.js';

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

/** What rm was asked to delete besides its target. */
export interface RemoveRequest {
  recursive?: boolean;
  versionId?: string;
  allVersions?: boolean;
  /** The key exactly as written: an object whose key ends in "/", not the folder. */
  exact?: boolean;
}

/**
 * What rm deletes: found by a listing (every version and delete marker with allVersions), or for one object by a
 * keyless HEAD, so a typo is "does not exist" rather than "deleted". A folder without recursive is refused.
 */
export async function removeTargets(io: Io, target: string, req: RemoveRequest): Promise<RemoveTarget[]> {
  const loc = parseS3Url(target);
  refuseFolder(target, req);
  if (req.allVersions) return everyVersion(io, target, Boolean(req.recursive));
  if (req.recursive) {
    const found: RemoveTarget[] = [];
    const scope = parseScope(target);
    for await (const o of listScope(io, scope)) found.push({ bucket: scope.bucket, key: o.key, versionId: '' });
    return found;
  }
  // A named version is looked up in the object's listing: a delete marker is one of its entries too (rm of it undeletes).
  if (req.versionId !== undefined) {
    const kind = await versionKind(io, loc, req.versionId);
    if (kind === 'missing') throw noSuchVersion(loc, req.versionId, kind);
    return [{ ...loc, versionId: req.versionId, deleteMarker: kind === 'delete-marker' }];
  }
  // headWithoutKey throws NO_OBJECT for a missing object; SSE-C objects answer without a key too.
  await headWithoutKey(io, loc).catch(async (e: Sse3Error) => {
    const missing = e.code === 'NO_OBJECT' ? new Sse3Error('NO_OBJECT', `${formatS3Url(loc)} does not exist`,
      `see what is there with: sse3 ls ${formatS3Url({ bucket: loc.bucket, key: loc.key.slice(0, loc.key.lastIndexOf('/') + 1) })}`) : e;
    throw await asFolderError(io, loc, missing, (folder) => `delete everything under it with: sse3 rm ${folder} --recursive`);
  });
  return [{ ...loc, versionId: '' }];
}

/** Without recursive, rm works on one object: a URL naming a folder is refused (an object ending in "/" is named with exact). */
export function refuseFolder(target: string, req: { recursive?: boolean; exact?: boolean }): void {
  const loc = parseS3Url(target);
  if (!req.recursive && (loc.key === '' || (loc.key.endsWith('/') && !req.exact))) {
    throw new Sse3Error('USAGE', `${target} names a folder, not an object`, `delete everything under it with: sse3 rm ${target} --recursive` +
      (loc.key === '' ? '' : `; only the object whose key ends in "/", with: sse3 rm ${target} --exact`));
  }
}

/** Every version and delete marker of one object, or (recursive) of everything under the prefix. */
async function everyVersion(io: Io, target: string, recursive: boolean): Promise<RemoveTarget[]> {
  const loc = parseS3Url(target);
  const prefix = recursive ? parseScope(target).prefix : loc.key;
  const found: RemoveTarget[] = [];
  for await (const e of listLevel(io.conn, loc.bucket, prefix, { versions: true, deleteMarkers: true }, io.signal)) {
    if (e.kind === 'object' && (recursive || e.key === loc.key)) {
      found.push({ bucket: loc.bucket, key: e.key, versionId: e.versionId, deleteMarker: e.deleteMarker });
    }
  }
  if (!recursive && !found.length) {
    throw new Sse3Error('NO_OBJECT', `${formatS3Url(loc)} does not exist (no version of it either)`, `see what is there with: sse3 ls ${target} --versions`);
  }
  return found;
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
  // Versioning on: a delete without a version only hides the object behind a marker, and every version stays. Versioning
  // suspended: the marker is the new "null" version, which replaces the one that was there (its row goes).
  const marker = versionIdOf(resp.VersionId);
  const markerCreated = !t.versionId && resp.DeleteMarker && marker ? marker : null;
  const row = markerCreated && markerCreated !== NULL_VERSION_ID ? undefined : io.manifest.lookup(location, t.versionId);
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
