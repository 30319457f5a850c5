import { randomBytes } from 'node:crypto';
import { describeS3Error, statusOf } from '../../s3/errors.js';
import { isUnanswered, withRetries } from '../../s3/retry.js';
import { describeWriteFailure } from '../../s3/write-failure.js';
import { Sse3Error } from '../../errors.js';
import { faultPoint } from '../../faults.js';
import { assertEncryptedWith, confirmsKey, headWithKey } from '../keyed.js';
import { propsRequest } from '../props.js';
import { META_UPLOAD, metadataFor, putTags, tagsFor, toTagging, withdrawUploadTags } from '../tags.js';
import type { WriteOutput } from '../../s3/objects.js';
import type { PartFeed, Part } from './feeds.js';
import { notEncrypted, recordUpload, uploadLocation, uploadUrl } from './outcome.js';
import { MAX_PARTS, partsInFlightFor } from './partsize.js';
import { BoundedPool } from './pools.js';
import type { UploadRequest, UploadResult } from './upload.js';

/**
 * A multipart upload of the parts a feed gives, at most `concurrency` in flight: created with the key and journalled
 * before any part is sent (so a killed sse3's upload is found and settled by the next run), every part confirmed to
 * carry our key, the whole plaintext's checksum journalled before it completes, and the completed object proven to
 * open with our key before it is recorded.
 */
export async function putMultipart(req: UploadRequest, feed: PartFeed): Promise<UploadResult> {
  const upload = await MultipartUpload.create(req);
  const onOuterAbort = () => upload.cancel.abort();
  req.io.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const inFlight = new BoundedPool(partsInFlightFor(req.tuning));
  try {
    const etags = await upload.sendParts(feed, inFlight);
    const { sha256, size } = await feed.digest();
    const done = await upload.complete(etags, sha256, size);
    return recordUpload(req, { versionId: done.versionId, size, sha256, etag: done.etag, parts: etags.length,
      serverDate: done.serverDate }, upload.uploadId);
  } catch (e) {
    upload.cancel.abort();
    await inFlight.settle();
    await upload.settleFailure(e);
    if (e instanceof Sse3Error) throw e;
    if (req.io.signal?.aborted) throw new Sse3Error('INTERRUPTED', `upload of ${uploadUrl(req)} was interrupted`);
    throw describeS3Error(e, { op: 'put', url: uploadUrl(req) });
  } finally {
    req.io.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * The phases. 'parts': created and journalled, parts going up; a failure aborts it. 'completing':
 * CompleteMultipartUpload sent, its outcome unknown until it answers; a failure still tries to abort (which fails if
 * it did complete, and then the journal keeps it for the next run to record). 'committed': the server made the object;
 * nothing is aborted any more.
 */
type Phase = 'parts' | 'completing' | 'committed';

class MultipartUpload {
  #phase: Phase = 'parts';
  /** Cancels every part in flight at once, when one fails or the caller aborts. */
  readonly cancel = new AbortController();

  private constructor(private readonly req: UploadRequest, readonly uploadId: string, private readonly token: string) {}

  /** CreateMultipartUpload with the key, confirmed, and journalled. */
  static async create(req: UploadRequest): Promise<MultipartUpload> {
    const s3 = await import('@aws-sdk/client-s3');
    const { target, io } = req;
    const tags = tagsFor(target.sseKey.fingerprint);
    const token = randomBytes(16).toString('hex');
    let uploadId: string;
    try {
      const created = await io.conn.client.send(new s3.CreateMultipartUploadCommand({
        Bucket: target.bucket, Key: target.key, ...propsRequest(target.props),
        Metadata: { ...metadataFor(tags, target.mtimeMs, target.props), [META_UPLOAD]: token }, Tagging: toTagging(tags), ...target.sseKey.sseC(),
      }), { abortSignal: io.signal });
      uploadId = created.UploadId!;
      if (!confirmsKey(created, target.sseKey)) {
        await io.conn.client.send(new s3.AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId }))
          .catch(() => undefined);
        throw notEncrypted(req, 'CreateMultipartUpload');
      }
    } catch (e) {
      throw await describeWriteFailure(io.conn.client, { bucket: target.bucket, url: uploadUrl(req), storageClass: target.props?.storageClass }, e);
    }
    io.manifest.beginUpload({ ...uploadLocation(req), uploadId, fingerprint: target.sseKey.fingerprint, pid: process.pid,
      startedAt: new Date().toISOString(), token });
    return new MultipartUpload(req, uploadId, token);
  }

  /** Every part, at most inFlight's limit at once, each confirmed to carry our key; returns the ETags in part order. */
  async sendParts(feed: PartFeed, inFlight: BoundedPool): Promise<string[]> {
    const etags: string[] = [];
    for await (const part of feed.parts) {
      const partNumber = etags.push('');
      if (partNumber > MAX_PARTS) {
        part.release();
        throw new Sse3Error('USAGE', `the data needs more than ${MAX_PARTS} parts at this part size, S3's limit; nothing was stored`,
          'pass a larger --part-size');
      }
      await inFlight.add(async () => {
        etags[partNumber - 1] = await this.#sendPart(part, partNumber);
        faultPoint(`after-part-${partNumber}`);
      });
    }
    await inFlight.drain();
    return etags;
  }

  /** One UploadPart, retried under the one policy, every attempt sending the same buffer (each bounded by --timeout). */
  async #sendPart(part: Part, partNumber: number): Promise<string> {
    const { target, io } = this.req;
    let r;
    try {
      r = await withRetries(() => io.conn.objects.uploadPart({
        Bucket: target.bucket, Key: target.key, UploadId: this.uploadId, PartNumber: partNumber, Body: part.body,
        ContentLength: part.body.length, ...target.sseKey.sseC(),
      }, { abortSignal: this.cancel.signal, retries: false }), this.cancel.signal);
    } finally {
      part.release();
    }
    if (!confirmsKey(r, target.sseKey)) throw notEncrypted(this.req, `UploadPart ${partNumber}`);
    this.req.events?.onBytes?.(part.body.length);
    return r.ETag!;
  }

  /**
   * Check the whole plaintext, journal its checksum, complete, tag, and prove with a HEAD that the stored object is
   * still this upload's: it opens with our key and carries our upload's token (some servers, Ceph RGW among them,
   * return no ETag from Complete). The proof comes after the tagging: another writer completing in between would
   * have had its object tagged with our checksum, and must not be recorded as ours.
   */
  async complete(etags: string[], sha256: string, size: number): Promise<{ versionId?: string; etag?: string; serverDate?: Date }> {
    const { CompleteMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    const { target, io } = this.req;
    this.req.beforeCommit?.(sha256, size);
    io.manifest.completingUpload(uploadLocation(this.req), this.uploadId, sha256, size);
    faultPoint('before-complete');
    this.#phase = 'completing';
    const done = await io.conn.client.send(new CompleteMultipartUploadCommand({
      Bucket: target.bucket, Key: target.key, UploadId: this.uploadId, ...target.sseKey.sseC(), IfMatch: target.ifMatch,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }), { abortSignal: this.cancel.signal });
    this.#phase = 'committed';
    const tagged = await this.#tag(done.VersionId, sha256);
    const etag = await this.#proveStored(done.VersionId);
    faultPoint('after-complete');
    // The object is made when the upload completes: its LastModified is before that answer's time (or the tagging's,
    // which moves it on Ceph: core/tags.ts putTags).
    return { versionId: done.VersionId, etag: etag ?? done.ETag, serverDate: tagged ?? (done as WriteOutput).ServerDate };
  }

  /**
   * Multipart objects get their checksum tag only now: Ceph RGW drops the tagging header of CreateMultipartUpload.
   * Returns the time of the tagging's answer, or undefined when it could not be tagged (the manifest still records it).
   */
  async #tag(versionId: string | undefined, sha256: string): Promise<Date | undefined> {
    const { req } = this;
    try {
      return await putTags(req.io, { ...req.target, versionId }, tagsFor(req.target.sseKey.fingerprint, sha256, this.token));
    } catch (e) {
      req.events?.onWarning?.(`could not tag ${uploadUrl(req)} with its checksum (${statusOf(e) ?? ''} ${(e as Error).name}); ` +
        'the manifest still records it');
      return undefined;
    }
  }

  /** HEAD the completed object with our key (the one keyed verdict): it must open with it. Returns its ETag. */
  async #proveStored(versionId: string | undefined): Promise<string | undefined> {
    const { target, io } = this.req;
    const stored = { ...target, versionId };
    const r = await headWithKey(io, stored, target.sseKey, { op: 'put' });
    if (r.verdict === 'opens' && r.answer.metadata[META_UPLOAD] === this.token) return r.answer.etag;
    if (r.verdict === 'refused' || r.verdict === 'opens') {
      // Unversioned, the key now holds another writer's object (under another key, or another upload under ours): ours
      // was replaced at once, and the tags just written are about ours, not about it.
      await withdrawUploadTags(io, stored, this.token);
      throw this.#final(new Sse3Error('S3', `${uploadUrl(this.req)} was replaced by another writer as this upload completed; sse3 recorded nothing`,
        'upload again if this version should win; writers to one key should not race'));
    }
    // Gone already: not a verdict on this upload — it stays journalled and the next run settles it.
    if (r.verdict === 'missing') throw r.error;
    // Stored as plaintext (or answered under another key): removed again and reported, never recorded.
    await assertEncryptedWith(io, stored, { SSECustomerAlgorithm: r.verdict === 'plain' ? undefined : 'AES256' }, target.sseKey)
      .catch((e: unknown) => { throw this.#final(e); });
    throw this.#final(r.error);
  }

  /** Errors that are sse3's verdict on a completed upload (replaced, not encrypted): its journal entry ends with them. */
  readonly #verdicts = new WeakSet<object>();
  #final(e: unknown): unknown {
    if (e && typeof e === 'object') this.#verdicts.add(e);
    return e;
  }

  /**
   * After a failure: an upload that may still become (or hold) parts is aborted — one attempt — and forgotten. If
   * it cannot be aborted now it stays journalled, and the next sse3 run against this server aborts it, or records
   * the object if it had completed. A server that just failed to answer is not asked again: that would only add
   * another timeout before the user hears of it.
   */
  async settleFailure(error: unknown): Promise<void> {
    const { req, uploadId } = this;
    const loc = uploadLocation(req);
    if (this.#phase === 'committed') {
      // sse3's own verdicts (replaced by another writer, not encrypted and deleted) are final; a lost answer is not.
      if (error && typeof error === 'object' && this.#verdicts.has(error)) req.io.manifest.endUpload(loc, uploadId);
      return;
    }
    if (!req.io.signal?.aborted && isUnanswered(error)) {
      req.events?.onWarning?.(`the server is not answering; the next sse3 run against it will abort multipart upload ${uploadId}`);
      return;
    }
    const { AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await req.io.conn.singleAttemptClient.send(new AbortMultipartUploadCommand({ Bucket: req.target.bucket, Key: req.target.key,
      UploadId: uploadId })).then(
      () => req.io.manifest.endUpload(loc, uploadId),
      () => req.events?.onWarning?.(`multipart upload ${uploadId} could not be aborted now; the next sse3 run will settle it`),
    );
  }
}
