import { newEntry } from '../../manifest/entry.js';
import { writtenBefore } from '../recorded.js';
import { formatS3Url } from '../../s3/url.js';
import { versionIdOf } from '../../s3/version.js';
import { Sse3Error } from '../../errors.js';
import type { UploadRequest, UploadResult } from './upload.js';

/** How an upload ends: recorded once the server confirmed the write under our key, or refused when it did not. */

export const uploadUrl = (req: UploadRequest): string => formatS3Url(req.target);
export const uploadLocation = (req: UploadRequest) => ({ endpoint: req.io.conn.endpoint, bucket: req.target.bucket, key: req.target.key });

/**
 * The manifest row of a confirmed upload (a multipart one ends its journal entry in the same transaction), with the time
 * its version was last modified before: the server's clock at the write's answer (serverDate).
 */
export function recordUpload(req: UploadRequest, r: { versionId?: string; size: number; sha256: string; etag?: string; parts: number;
  serverDate?: Date }, uploadId?: string): UploadResult {
  const entry = newEntry(uploadLocation(req), { versionId: r.versionId, fingerprint: req.target.sseKey.fingerprint, size: r.size,
    sha256: r.sha256, etag: r.etag, mtimeMs: req.target.mtimeMs, modifiedBefore: writtenBefore(r.serverDate) });
  if (uploadId) req.io.manifest.recordUpload(entry, uploadId);
  else req.io.manifest.record(entry);
  // The result says what the server answered: no version id from a bucket that is not versioning (JSON null).
  return { ...entry, versionId: versionIdOf(r.versionId), parts: r.parts };
}

/** A write whose answer did not echo our key's MD5: the server may have stored plaintext. */
export function notEncrypted(req: UploadRequest, step: string): Sse3Error {
  return new Sse3Error('NOT_ENCRYPTED',
    `the server did not confirm SSE-C encryption with sse3's key for ${step} of ${uploadUrl(req)}: it may store plaintext`,
    'use a server that supports SSE-C; nothing was recorded in the manifest');
}
