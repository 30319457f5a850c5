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

/** Every object under a prefix (current versions), page by page. */
export async function* listObjects(conn: Connection, bucket: string, prefix: string, signal?: AbortSignal)
  : AsyncGenerator<ListedObject> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  let token: string | undefined;
  do {
    let page;
    try {
      page = await conn.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }),
        { abortSignal: signal });
    } catch (e) {
      throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key: prefix }) });
    }
    for (const o of page.Contents ?? []) {
      yield { key: o.Key!, size: o.Size ?? 0, etag: (o.ETag ?? '').replace(/"/g, ''), lastModified: o.LastModified, versionId: '',
        isLatest: true };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Every version (not delete markers) under a prefix; unversioned objects have versionId ''. */
export async function* listObjectVersions(conn: Connection, bucket: string, prefix: string, signal?: AbortSignal)
  : AsyncGenerator<ListedObject> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    let page;
    try {
      page = await conn.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix || undefined, KeyMarker: keyMarker,
        VersionIdMarker: versionMarker }), { abortSignal: signal });
    } catch (e) {
      throw describeS3Error(e, { op: 'list', url: formatS3Url({ bucket, key: prefix }) });
    }
    for (const v of page.Versions ?? []) {
      yield { key: v.Key!, size: v.Size ?? 0, etag: (v.ETag ?? '').replace(/"/g, ''), lastModified: v.LastModified,
        versionId: !v.VersionId || v.VersionId === 'null' ? '' : v.VersionId, isLatest: v.IsLatest ?? true };
    }
    const more = page.IsTruncated;
    keyMarker = more ? page.NextKeyMarker : undefined;
    versionMarker = more ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
}
