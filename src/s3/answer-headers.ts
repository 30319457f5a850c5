import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectInfo, WriteOutput } from './objects.js';

/** What the headers of an answer to one of sse3's own requests say, in the SDK's field names. */

/** A header's value; a repeated header's values joined with ", ". */
export const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

/** HeadObject's output, and GetObject's apart from its body. */
export function objectInfo(h: IncomingHttpHeaders): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const name of Object.keys(h)) if (name.startsWith('x-amz-meta-')) metadata[name.slice(11)] = header(h, name)!;
  const length = header(h, 'content-length');
  const modified = header(h, 'last-modified');
  return dropUndefined({
    ContentLength: length === undefined ? undefined : Number(length),
    ContentRange: header(h, 'content-range'),
    ContentType: header(h, 'content-type'),
    CacheControl: header(h, 'cache-control'),
    ContentDisposition: header(h, 'content-disposition'),
    StorageClass: header(h, 'x-amz-storage-class'),
    ETag: header(h, 'etag'),
    VersionId: header(h, 'x-amz-version-id'),
    LastModified: modified === undefined ? undefined : new Date(modified),
    Metadata: metadata,
    ...writeOutput(h),
  });
}

/** The time an answer's Date header gives; undefined when it has none or it is not a date. */
export function serverDate(h: IncomingHttpHeaders): Date | undefined {
  const text = header(h, 'date');
  const date = text === undefined ? undefined : new Date(text);
  return date && Number.isFinite(date.getTime()) ? date : undefined;
}

/** PutObject's and UploadPart's output. */
export function writeOutput(h: IncomingHttpHeaders): WriteOutput {
  return dropUndefined({
    ServerDate: serverDate(h),
    ETag: header(h, 'etag'),
    VersionId: header(h, 'x-amz-version-id'),
    SSECustomerAlgorithm: header(h, 'x-amz-server-side-encryption-customer-algorithm'),
    SSECustomerKeyMD5: header(h, 'x-amz-server-side-encryption-customer-key-md5'),
    ServerSideEncryption: header(h, 'x-amz-server-side-encryption'),
  });
}

/** The object without its undefined fields, as the SDK's outputs leave out what the answer did not say. */
export function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
