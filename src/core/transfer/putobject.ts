import { createHash } from 'node:crypto';
import { describeWriteFailure } from '../../s3/write-failure.js';
import { Sse3Error } from '../../errors.js';
import { faultPoint } from '../../faults.js';
import type { OpenFile } from '../../local/files.js';
import { assertEncryptedWith } from '../keyed.js';
import { propsRequest } from '../props.js';
import { metadataFor, tagsFor, toTagging } from '../tags.js';
import { recordUpload, uploadUrl } from './outcome.js';
import type { UploadRequest, UploadResult } from './upload.js';

/**
 * An upload in one PutObject, its body held whole. The answer must confirm our key; a file's body is checked against
 * the file once more after it was sent, and the object of a file that changed meanwhile is deleted.
 */
export async function putSingle(req: UploadRequest, body: Buffer, file?: OpenFile): Promise<UploadResult> {
  const { target } = req;
  const sha256 = createHash('sha256').update(body).digest('hex');
  req.beforeCommit?.(sha256, body.length);
  const tags = tagsFor(target.sseKey.fingerprint, sha256);
  let resp;
  try {
    resp = await req.io.conn.objects.putObject({
      Bucket: target.bucket, Key: target.key, Body: body, ContentLength: body.length,
      ...propsRequest(target.props),
      Metadata: metadataFor(tags, target.mtimeMs, target.props), Tagging: toTagging(tags), IfMatch: target.ifMatch,
      ...target.sseKey.sseC(),
    }, { abortSignal: req.io.signal });
  } catch (e) {
    throw await describeWriteFailure(req.io.conn.client, { bucket: target.bucket, url: uploadUrl(req),
      storageClass: target.props?.storageClass }, e);
  }
  await assertEncryptedWith(req.io, { ...target, versionId: resp.VersionId }, resp, target.sseKey);
  faultPoint('put-sent');
  if (file) await file.assertUnchanged().catch((e) => removeWritten(req, resp.VersionId, e));
  faultPoint('after-put');
  req.events?.onBytes?.(body.length);
  return recordUpload(req, { versionId: resp.VersionId, size: body.length, sha256, etag: resp.ETag, parts: 1, serverDate: resp.ServerDate });
}

/** Delete the version just written, then throw why; if it cannot be deleted, say so instead of "nothing was stored". */
async function removeWritten(req: UploadRequest, versionId: string | undefined, why: Sse3Error): Promise<never> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const removed = await req.io.conn.client.send(new DeleteObjectCommand({ Bucket: req.target.bucket, Key: req.target.key,
    VersionId: versionId })).then(() => true, () => false);
  if (removed) throw why;
  throw new Sse3Error(why.code, why.message.replace(/; nothing was stored$/, `; sse3 could not delete what it stored at ${uploadUrl(req)}` +
    (versionId ? ` (version ${versionId})` : '')), 'delete that object (nothing was recorded in the manifest), then upload again');
}
