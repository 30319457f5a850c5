import type { Connection } from './client.js';
import { describeS3Error } from './errors.js';
import { formatS3Url } from './url.js';

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified?: Date;
  /** '' for unversioned objects. */
  versionId: string;
  isLatest: boolean;
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

/** Every object under a prefix (current versions), page by page, in key order. */
export async function* listObjects(conn: Connection, bucket: string, prefix: string, signal?: AbortSignal)
  : AsyncGenerator<ListedObject> {
  const { paginateListObjectsV2 } = await import('@aws-sdk/client-s3');
  try {
    for await (const page of paginateListObjectsV2({ client: conn.client }, { Bucket: bucket, Prefix: prefix || undefined })) {
      if (signal?.aborted) return;
      for (const o of page.Contents ?? []) {
        yield { key: o.Key!, size: o.Size ?? 0, etag: unquote(o.ETag), lastModified: o.LastModified, versionId: '', isLatest: true };
      }
    }
  } catch (e) {
    throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key: prefix }) });
  }
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
    let page;
    try {
      page = await conn.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix || undefined, ...markers }),
        { abortSignal: signal });
    } catch (e) {
      throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key: prefix }) });
    }
    for (const v of page.Versions ?? []) {
      yield { key: v.Key!, size: v.Size ?? 0, etag: unquote(v.ETag), lastModified: v.LastModified,
        versionId: !v.VersionId || v.VersionId === 'null' ? '' : v.VersionId, isLatest: v.IsLatest ?? true };
    }
    markers = page.IsTruncated ? { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker } : {};
  } while (markers.KeyMarker);
}
