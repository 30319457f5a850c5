import { Sse3Error } from '../errors.js';
import type { Connection } from './client.js';
import { describeS3Error } from './errors.js';
import { formatS3Url } from './url.js';
import { versionIdOf } from './version.js';

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified?: Date;
  /** '' for unversioned objects. */
  versionId: string;
  isLatest: boolean;
  /** A delete marker (listed only when asked for). */
  deleteMarker?: boolean;
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

/**
 * A listing that was interrupted throws, whenever the abort is seen: before a page is asked for, when a page arrives,
 * and when the caller asks for the next object. It never just ends, so no caller can take part of a listing for all of
 * it (and, say, delete what it did not see).
 */
function stopIfAborted(signal: AbortSignal | undefined, bucket: string, prefix: string): void {
  if (signal?.aborted) throw new Sse3Error('INTERRUPTED', `list of ${formatS3Url({ bucket, key: prefix })} was interrupted`);
}

/** Every object under a prefix (current versions), page by page, in key order. */
export async function* listObjects(conn: Connection, bucket: string, prefix: string, signal?: AbortSignal)
  : AsyncGenerator<ListedObject> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  let token: string | undefined;
  do {
    stopIfAborted(signal, bucket, prefix);
    let page;
    try {
      page = await conn.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }),
        { abortSignal: signal });
    } catch (e) {
      throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key: prefix }) });
    }
    stopIfAborted(signal, bucket, prefix);
    for (const o of page.Contents ?? []) {
      yield { key: o.Key!, size: o.Size ?? 0, etag: unquote(o.ETag), lastModified: o.LastModified, versionId: '', isLatest: true };
      stopIfAborted(signal, bucket, prefix);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Every version (not delete markers) under a prefix, newest first per key; unversioned objects have versionId ''.
 * The SDK has no paginator for ListObjectVersions: it resumes from two markers (key and version), which its
 * one-token paginators cannot carry.
 */
export async function* listObjectVersions(conn: Connection, bucket: string, prefix: string, signal?: AbortSignal)
  : AsyncGenerator<ListedObject> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  do {
    stopIfAborted(signal, bucket, prefix);
    let page;
    try {
      page = await conn.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix || undefined, ...markers }),
        { abortSignal: signal });
    } catch (e) {
      throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key: prefix }) });
    }
    stopIfAborted(signal, bucket, prefix);
    for (const v of page.Versions ?? []) {
      yield { key: v.Key!, size: v.Size ?? 0, etag: unquote(v.ETag), lastModified: v.LastModified,
        versionId: versionIdOf(v.VersionId), isLatest: v.IsLatest ?? true };
      stopIfAborted(signal, bucket, prefix);
    }
    markers = page.IsTruncated ? { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker } : {};
  } while (markers.KeyMarker);
}

/** One entry of a listing one folder deep: an object (version), or a sub-folder ("common prefix"). */
export type LevelEntry = ({ kind: 'object' } & ListedObject) | { kind: 'prefix'; prefix: string };

/**
 * Objects (or, with versions, every object version) under a prefix, with a delimiter the sub-folders as prefixes
 * instead of their contents; page by page in the server's order. Versions do not include delete markers.
 */
export async function* listLevel(conn: Connection, bucket: string, prefix: string,
  opts: { versions?: boolean; delimiter?: string; deleteMarkers?: boolean },
  signal?: AbortSignal): AsyncGenerator<LevelEntry> {
  const s3 = await import('@aws-sdk/client-s3');
  const base = { Bucket: bucket, Prefix: prefix || undefined, Delimiter: opts.delimiter };
  let token: { ContinuationToken?: string; KeyMarker?: string; VersionIdMarker?: string } = {};
  do {
    stopIfAborted(signal, bucket, prefix);
    let page;
    try {
      page = opts.versions
        ? await conn.client.send(new s3.ListObjectVersionsCommand({ ...base, KeyMarker: token.KeyMarker, VersionIdMarker: token.VersionIdMarker }),
          { abortSignal: signal })
        : await conn.client.send(new s3.ListObjectsV2Command({ ...base, ContinuationToken: token.ContinuationToken }), { abortSignal: signal });
    } catch (e) {
      throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key: prefix }) });
    }
    stopIfAborted(signal, bucket, prefix);
    for (const p of page.CommonPrefixes ?? []) {
      if (p.Prefix) yield { kind: 'prefix', prefix: p.Prefix };
      stopIfAborted(signal, bucket, prefix);
    }
    const objects = 'Versions' in page ? page.Versions ?? [] : 'Contents' in page ? page.Contents ?? [] : [];
    for (const o of objects as Array<{ Key?: string; Size?: number; ETag?: string; LastModified?: Date; VersionId?: string; IsLatest?: boolean }>) {
      yield { kind: 'object', key: o.Key!, size: o.Size ?? 0, etag: unquote(o.ETag), lastModified: o.LastModified,
        versionId: versionIdOf(o.VersionId), isLatest: o.IsLatest ?? true };
      stopIfAborted(signal, bucket, prefix);
    }
    if (opts.deleteMarkers && 'DeleteMarkers' in page) {
      for (const m of page.DeleteMarkers ?? []) {
        yield { kind: 'object', key: m.Key!, size: 0, etag: '', lastModified: m.LastModified,
          versionId: versionIdOf(m.VersionId), isLatest: m.IsLatest ?? false, deleteMarker: true };
        stopIfAborted(signal, bucket, prefix);
      }
    }
    token = !page.IsTruncated ? {} : 'NextKeyMarker' in page
      ? { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker }
      : { ContinuationToken: (page as { NextContinuationToken?: string }).NextContinuationToken };
  } while (token.ContinuationToken || token.KeyMarker);
}

/**
 * Whether an object's current version is a delete marker (deleted in a versioning bucket: its versions remain). One
 * listing entry is enough: the key itself sorts first under its own prefix, and its newest entry (version or marker)
 * first among its own.
 */
export async function currentIsDeleteMarker(conn: Connection, bucket: string, key: string, signal?: AbortSignal): Promise<boolean> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  let page;
  try {
    page = await conn.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 1 }), { abortSignal: signal });
  } catch (e) {
    throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key }) });
  }
  return (page.DeleteMarkers ?? []).some((m) => m.Key === key && m.IsLatest);
}

/** The buckets the credentials can see, with their creation dates. */
export async function listBuckets(conn: Connection, signal?: AbortSignal): Promise<Array<{ name: string; created?: Date }>> {
  const { ListBucketsCommand } = await import('@aws-sdk/client-s3');
  let r;
  try {
    r = await conn.client.send(new ListBucketsCommand({}), { abortSignal: signal });
  } catch (e) {
    throw describeS3Error(e, { op: 'list', url: 's3://' });
  }
  if (signal?.aborted) throw new Sse3Error('INTERRUPTED', 'list of the buckets was interrupted');
  return (r.Buckets ?? []).map((b) => ({ name: b.Name ?? '', created: b.CreationDate }));
}
