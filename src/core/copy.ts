import type { Readable } from 'node:stream';
import { describeS3Error, s3ErrorName, statusOf } from '../s3/errors.js';
import { formatS3Url } from '../s3/url.js';
import { newEntry } from '../manifest/entry.js';
import { Sse3Error } from '../errors.js';
import type { Io, TransferEvents, Tuning } from './context.js';
import type { SseCKey } from './key.js';
import { confirmsKey, metadataFor, mtimeFromMetadata, readSse3Tags, TAG_SHA256, tagsFor, toTagging } from './ssec.js';
import { type UploadResult, uploadObject } from './upload.js';

/** CopyObject's limit; larger objects would need UploadPartCopy. */
const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024;

/** Endpoints that answered 501 to an SSE-C CopyObject (Ceph RGW before 2025): not asked again in this process. */
const noServerSideCopy = new Set<string>();

export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
  /** undefined: the source is not SSE-C encrypted. */
  sseKey?: SseCKey;
  /** Plaintext SHA-256 recorded for the source, if known. */
  sha256?: string;
  /** Fingerprint the manifest records for the source, for a precise wrong-key message. */
  expectedFingerprint?: string;
}

export interface CopyRequest {
  io: Io;
  source: CopySource;
  dest: { bucket: string; key: string; sseKey: SseCKey };
  /** What a HEAD of the source said, when the caller just did one. */
  sourceInfo?: SourceInfo;
  tuning?: Tuning;
  events?: TransferEvents;
}

export interface CopyResult extends UploadResult {
  method: 'server-side' | 'streamed';
}

/** What a HEAD of the source said; a caller that just did that HEAD can pass it and save a request per object. */
export interface SourceInfo {
  size: number;
  versionId?: string;
  contentType?: string;
  encrypted: boolean;
  sha256?: string;
  /** The source file's mtime its metadata or record carries: the copy keeps it. */
  mtimeMs?: number;
}

async function inspectSource(req: CopyRequest): Promise<SourceInfo> {
  const s3 = await import('@aws-sdk/client-s3');
  const src = req.source;
  const url = formatS3Url(src);
  let h;
  try {
    h = await req.io.conn.client.send(new s3.HeadObjectCommand({ Bucket: src.bucket, Key: src.key, VersionId: src.versionId,
      ...src.sseKey?.sseC() }), { abortSignal: req.io.signal });
  } catch (e) {
    throw describeS3Error(e, { op: 'copy', url, sentFingerprint: src.sseKey?.fingerprint, expectedFingerprint: src.expectedFingerprint });
  }
  const encrypted = h.SSECustomerAlgorithm === 'AES256';
  let sha256 = src.sha256 || h.Metadata?.[TAG_SHA256];
  if (!sha256 && encrypted) {
    const recorded = await readSse3Tags(req.io, { bucket: src.bucket, key: src.key, versionId: h.VersionId }, { what: 'SHA-256', op: 'copy' });
    sha256 = recorded.sha256;
  }
  return { size: h.ContentLength ?? 0, versionId: h.VersionId, contentType: h.ContentType, encrypted, sha256,
    mtimeMs: mtimeFromMetadata(h.Metadata) };
}

/**
 * Copy an object to an SSE-C destination (which may be the source itself:
 * that is a rotation). Server-side CopyObject when the server supports copying
 * SSE-C objects and the source's checksum is known; otherwise a streamed
 * GET → PUT with the plaintext SHA-256 checked before the destination is committed.
 */
export async function copyObject(req: CopyRequest): Promise<CopyResult> {
  const info = req.sourceInfo ?? await inspectSource(req);
  req.events?.onStart?.(info.size);
  const canServerSide = (req.tuning?.serverSide ?? 'auto') === 'auto' && info.encrypted && req.source.sseKey !== undefined
    && info.sha256 !== undefined && info.size <= MAX_SINGLE_COPY && !noServerSideCopy.has(req.io.conn.endpoint);
  if (canServerSide) {
    const done = await serverSideCopy(req, info);
    if (done) return done;
  }
  return streamedCopy(req, info);
}

async function serverSideCopy(req: CopyRequest, info: SourceInfo): Promise<CopyResult | undefined> {
  const s3 = await import('@aws-sdk/client-s3');
  const { source, dest } = req;
  const tags = tagsFor(dest.sseKey.fingerprint, info.sha256);
  const copySource = `${source.bucket}/${encodeURIComponent(source.key)}` + (info.versionId ? `?versionId=${encodeURIComponent(info.versionId)}` : '');
  let resp;
  try {
    resp = await req.io.conn.client.send(new s3.CopyObjectCommand({
      Bucket: dest.bucket, Key: dest.key, CopySource: copySource,
      MetadataDirective: 'REPLACE', Metadata: metadataFor(tags, info.mtimeMs), ContentType: info.contentType,
      TaggingDirective: 'REPLACE', Tagging: toTagging(tags),
      ...dest.sseKey.sseC(), ...source.sseKey!.copySourceSseC(),
    }), { abortSignal: req.io.signal });
  } catch (e) {
    if (statusOf(e) === 501 || s3ErrorName(e) === 'NotImplemented') {
      noServerSideCopy.add(req.io.conn.endpoint);
      return undefined;
    }
    throw describeS3Error(e, { op: 'copy', url: formatS3Url(source), sentFingerprint: source.sseKey!.fingerprint });
  }
  if (!confirmsKey(resp, dest.sseKey)) {
    // The server stored the copy without our key (Ceph does so for some copies): remove that version and stream instead.
    req.events?.onWarning?.(`the server did not encrypt the server-side copy to ${formatS3Url(dest)}; copying through sse3 instead`);
    const inPlace = dest.bucket === source.bucket && dest.key === source.key;
    if (!resp.VersionId && inPlace) {
      // Unversioned, the copy replaced the source itself: what is left to copy from is that unencrypted object,
      // which the streamed copy checks against the recorded SHA-256 before encrypting it again.
      return streamedCopy(req, { ...info, encrypted: false, versionId: undefined });
    }
    await req.io.conn.client.send(new s3.DeleteObjectCommand({ Bucket: dest.bucket, Key: dest.key, VersionId: resp.VersionId }))
      .catch(() => req.events?.onWarning?.(`could not delete the unencrypted copy at ${formatS3Url(dest)}` +
        (resp.VersionId ? ` (version ${resp.VersionId})` : '')));
    return undefined;
  }
  req.events?.onBytes?.(info.size);
  const entry = newEntry({ endpoint: req.io.conn.endpoint, bucket: dest.bucket, key: dest.key }, { versionId: resp.VersionId,
    fingerprint: dest.sseKey.fingerprint, size: info.size, sha256: info.sha256, etag: resp.CopyObjectResult?.ETag, mtimeMs: info.mtimeMs });
  req.io.manifest.record(entry);
  return { ...entry, parts: 1, method: 'server-side' };
}

async function streamedCopy(req: CopyRequest, info: SourceInfo): Promise<CopyResult> {
  const s3 = await import('@aws-sdk/client-s3');
  const { source, dest } = req;
  const url = formatS3Url(source);
  let resp;
  try {
    resp = await req.io.conn.client.send(new s3.GetObjectCommand({
      Bucket: source.bucket, Key: source.key, VersionId: info.versionId, ...(info.encrypted ? source.sseKey?.sseC() : {}),
    }), { abortSignal: req.io.signal });
  } catch (e) {
    throw describeS3Error(e, { op: 'copy', url, sentFingerprint: source.sseKey?.fingerprint });
  }
  if (info.encrypted && resp.SSECustomerAlgorithm !== 'AES256') {
    (resp.Body as Readable).destroy();
    throw new Sse3Error('NOT_ENCRYPTED', `${url} changed while copying: it is no longer SSE-C encrypted`);
  }
  const body = resp.Body as Readable;
  try {
    const r = await uploadObject({
      io: req.io, target: { ...dest, contentType: info.contentType, mtimeMs: info.mtimeMs },
      source: { kind: 'stream', body, sizeHint: info.size },
      tuning: req.tuning, events: { onBytes: req.events?.onBytes, onWarning: req.events?.onWarning },
      beforeCommit: (sha256, size) => {
        if (size !== info.size || (info.sha256 && sha256 !== info.sha256)) {
          throw new Sse3Error('INTEGRITY', `${url}: the data read does not match its recorded SHA-256/size; the copy was not written`,
            'the source changed or is corrupted; check it with sse3 verify --deep');
        }
      },
    });
    return { ...r, method: 'streamed' };
  } finally {
    body.destroy();
  }
}
