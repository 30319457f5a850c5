import { describeS3Error, type ErrorContext, s3ErrorName, statusOf } from '../../s3/errors.js';
import type { ObjectBody, ObjectInfo, WriteOutput } from '../../s3/objects.js';
import { assertKeyLength, formatS3Url } from '../../s3/url.js';
import { newEntry } from '../../manifest/entry.js';
import { writtenBefore } from '../recorded.js';
import { Sse3Error } from '../../errors.js';
import type { Io, TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { getFirstRange, ObjectRanges } from './ranges.js';
import { answeredSpan, checkAnsweredVersion } from './answers.js';
import { confirmsKey, keyEcho, requireOurKey, unquoteEtag } from '../keyed.js';
import { metadataFor, mtimeFromMetadata, readSse3Tags, sse3Values, tagsFor, toTagging } from '../tags.js';
import { partSizeFor } from './partsize.js';
import { type ObjectProps, overridden, propsOf, propsRequest } from '../props.js';
import { describeWriteFailure } from '../../s3/write-failure.js';
import { type UploadResult, uploadObject } from './upload.js';

/** CopyObject's limit; larger objects would need UploadPartCopy. */
const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024;

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
  /** ifMatch: write only over the object with this ETag (unquoted), see UploadTarget.ifMatch; a rotation's guard. */
  dest: { bucket: string; key: string; sseKey: SseCKey; ifMatch?: string };
  /** What a HEAD of the source said, when the caller just did one. */
  sourceInfo?: SourceInfo;
  /** The source already opened by its first GET (rotate does that to learn the version before journalling). */
  opened?: OpenedSource;
  /** Properties given for the copy (cp's upload options), each replacing the source's (props.ts overridden). */
  props?: ObjectProps;
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
  /** Content type, headers, storage class, the user's metadata and the file's mode: what the copy keeps. */
  props: ObjectProps;
  encrypted: boolean;
  sha256?: string;
  /** The source file's mtime its metadata or record carries: the copy keeps it. */
  mtimeMs?: number;
}

/** A source opened by a GET of its first part: what the answer says of it, and the part's bytes still to be read. */
export interface OpenedSource extends SourceInfo {
  first: ObjectBody;
  /** Bytes the first answer carries, from byte 0 (checked against the range asked for). */
  firstLength: number;
}

/**
 * Whether a copy may be tried server-side: auto mode, and the connection's server has not answered an SSE-C CopyObject
 * with 501 (Ceph RGW before 2025; it is not asked again while the connection lives).
 */
export const mayCopyServerSide = (io: Io, tuning?: Tuning) =>
  (tuning?.serverSide ?? 'auto') === 'auto' && !io.conn.limits.noSseCCopy;

async function inspectSource(req: CopyRequest): Promise<SourceInfo> {
  const src = req.source;
  const url = formatS3Url(src);
  let h;
  try {
    h = await req.io.conn.objects.headObject({ Bucket: src.bucket, Key: src.key, VersionId: src.versionId,
      ...src.sseKey?.sseC() }, { abortSignal: req.io.signal });
  } catch (e) {
    throw describeS3Error(e, { op: 'copy', url, sentFingerprint: src.sseKey?.fingerprint, expectedFingerprint: src.expectedFingerprint });
  }
  // Taken as proof of what the source is (a server-side copy records the size and checksum it says).
  checkAnsweredVersion(src.versionId, h, src);
  const encrypted = h.SSECustomerAlgorithm === 'AES256';
  if (encrypted && src.sseKey) requireOurKey(h, src.sseKey, src);
  const sha256 = src.sha256 || sse3Values(h.Metadata, { ...src, versionId: h.VersionId }, 'metadata').sha256
    || (encrypted ? await taggedSha256(req.io, src, h.VersionId) : undefined);
  return { size: h.ContentLength ?? 0, versionId: h.VersionId, props: sourceProps(h, encrypted), encrypted, sha256,
    mtimeMs: mtimeFromMetadata(h.Metadata) };
}

/**
 * What a copy keeps of its source. A mode is sse3's record only in an encrypted object, whose metadata only a key
 * holder could write: a plain object's is not carried into an encrypted copy, where a sync down would trust it.
 */
const sourceProps = (info: ObjectInfo, encrypted: boolean): ObjectProps => {
  const props = propsOf(info);
  return encrypted ? props : { ...props, mode: undefined };
};

/** Multipart objects carry their checksum only in their tag. */
const taggedSha256 = async (io: Io, src: { bucket: string; key: string }, versionId: string | undefined, op: ErrorContext['op'] = 'copy') =>
  (await readSse3Tags(io, { bucket: src.bucket, key: src.key, versionId }, { what: 'SHA-256', op })).sha256;

/**
 * Open a source by a GET of its first part (with its key, if any): one request tells its size, version, type and
 * recorded checksum, and already carries the bytes of a small object. A failure is said as for `op`.
 */
export async function openSource(io: Io, src: CopySource, opts: { op: ErrorContext['op']; partSize?: number }): Promise<OpenedSource> {
  try {
    return await firstPart(io, src, opts.partSize);
  } catch (e) {
    throw describeS3Error(e, { op: opts.op, url: formatS3Url(src), sentFingerprint: src.sseKey?.fingerprint,
      expectedFingerprint: src.expectedFingerprint });
  }
}

/** openSource without the translation of its failure: the SDK's error shape, for callers that look at the status. */
export async function firstPart(io: Io, src: CopySource, partSize: number | undefined): Promise<OpenedSource> {
  const { first, asked } = await getFirstRange(io, src, src.sseKey, partSizeFor(undefined, partSize));
  try {
    // Checked before a byte is read, as a download's first answer is (src/core/transfer/download.ts).
    checkAnsweredVersion(src.versionId, first, src);
    // Ceph RGW serves a plain object even to a GET with a key ('plain': read on without one); another key's echo is refused.
    if (src.sseKey && keyEcho(first, src.sseKey) === 'other') requireOurKey(first, src.sseKey, src);
    const span = answeredSpan(first, asked, formatS3Url(src));
    return { first, size: span.size, firstLength: span.length, versionId: first.VersionId,
      props: sourceProps(first, first.SSECustomerAlgorithm === 'AES256'),
      encrypted: first.SSECustomerAlgorithm === 'AES256',
      sha256: src.sha256 || sse3Values(first.Metadata, { ...src, versionId: first.VersionId }, 'metadata').sha256,
      mtimeMs: mtimeFromMetadata(first.Metadata) };
  } catch (e) {
    first.Body.destroy();
    throw e;
  }
}

/**
 * Copy an object to an SSE-C destination (which may be the source itself: that is a rotation). Server-side
 * CopyObject when the server can copy SSE-C objects and the source's checksum is known; otherwise streamed
 * through sse3 — a GET of the first part and a PUT for a small object (two requests), ranges into pooled part
 * buffers and a multipart upload for a large one — with the plaintext SHA-256 checked before the destination is
 * committed.
 */
export async function copyObject(req: CopyRequest): Promise<CopyResult> {
  assertKeyLength(req.dest);
  let info = req.sourceInfo;
  if (!req.opened && req.source.sseKey && mayCopyServerSide(req.io, req.tuning)) {
    info ??= await inspectSource(req);
    if (info.encrypted && info.sha256 !== undefined && info.size <= MAX_SINGLE_COPY) {
      req.events?.onStart?.(info.size);
      const done = await serverSideCopy(req, info);
      if (done) return done;
    }
  }
  const opened = req.opened ?? await openSource(req.io, { ...req.source, versionId: req.source.versionId ?? info?.versionId,
    sha256: req.source.sha256 || info?.sha256 }, { op: 'copy', partSize: req.tuning?.partSize });
  if (info?.encrypted && !opened.encrypted) {
    opened.first.Body.destroy();
    throw new Sse3Error('NOT_ENCRYPTED', `${formatS3Url(req.source)} changed while copying: it is no longer SSE-C encrypted`);
  }
  req.events?.onStart?.(opened.size);
  return streamedCopy(req, opened);
}

async function serverSideCopy(req: CopyRequest, info: SourceInfo): Promise<CopyResult | undefined> {
  const s3 = await import('@aws-sdk/client-s3');
  const { source, dest } = req;
  const tags = tagsFor(dest.sseKey.fingerprint, info.sha256);
  const props = overridden(info.props, req.props);
  const copySource = `${source.bucket}/${encodeURIComponent(source.key)}` + (info.versionId ? `?versionId=${encodeURIComponent(info.versionId)}` : '');
  const inPlace = dest.bucket === source.bucket && dest.key === source.key;
  // In place (a rotation), what is copied and what it replaces must both be the object read: one ETag pins both.
  const guard = dest.ifMatch && inPlace ? { CopySourceIfMatch: dest.ifMatch, IfMatch: dest.ifMatch } : {};
  let resp;
  try {
    resp = await req.io.conn.client.send(new s3.CopyObjectCommand({
      Bucket: dest.bucket, Key: dest.key, CopySource: copySource,
      MetadataDirective: 'REPLACE', Metadata: metadataFor(tags, info.mtimeMs, props), ...propsRequest(props),
      TaggingDirective: 'REPLACE', Tagging: toTagging(tags),
      ...dest.sseKey.sseC(), ...source.sseKey!.copySourceSseC(), ...guard,
    }), { abortSignal: req.io.signal });
  } catch (e) {
    if (statusOf(e) === 501 || s3ErrorName(e) === 'NotImplemented') {
      req.io.conn.limits.noSseCCopy = true;
      return undefined;
    }
    // A 403 may be the destination bucket's block on SSE-C writes, which no source key would get past.
    throw await describeWriteFailure(req.io.conn.client, { bucket: dest.bucket, url: formatS3Url(dest), storageClass: props.storageClass },
      e, { op: 'copy', url: formatS3Url(source), sentFingerprint: source.sseKey!.fingerprint });
  }
  if (!confirmsKey(resp, dest.sseKey)) {
    // The server stored the copy without our key (Ceph does so for some copies): remove that version and stream instead.
    req.events?.onWarning?.(`the server did not encrypt the server-side copy to ${formatS3Url(dest)}; copying through sse3 instead`);
    if (!resp.VersionId && inPlace) {
      // Unversioned, the copy replaced the source itself: what is left to copy from is that unencrypted object,
      // which the streamed copy checks against the recorded SHA-256 before encrypting it again (over that copy only).
      const plain = await openSource(req.io, { ...source, sseKey: undefined, versionId: undefined, sha256: info.sha256 },
        { op: 'copy', partSize: req.tuning?.partSize });
      const over = dest.ifMatch === undefined ? undefined : unquoteEtag(plain.first.ETag);
      return streamedCopy({ ...req, dest: { ...dest, ifMatch: over } }, plain);
    }
    await req.io.conn.client.send(new s3.DeleteObjectCommand({ Bucket: dest.bucket, Key: dest.key, VersionId: resp.VersionId }))
      .catch(() => req.events?.onWarning?.(`could not delete the unencrypted copy at ${formatS3Url(dest)}` +
        (resp.VersionId ? ` (version ${resp.VersionId})` : '')));
    return undefined;
  }
  req.events?.onBytes?.(info.size);
  const entry = newEntry({ endpoint: req.io.conn.endpoint, bucket: dest.bucket, key: dest.key }, { versionId: resp.VersionId,
    fingerprint: dest.sseKey.fingerprint, size: info.size, sha256: info.sha256, etag: resp.CopyObjectResult?.ETag, mtimeMs: info.mtimeMs,
    modifiedBefore: writtenBefore((resp as WriteOutput).ServerDate) });
  req.io.manifest.record(entry);
  return { ...entry, parts: 1, method: 'server-side' };
}

/** GET → PUT (or ranges → parts) through sse3, the source's bytes checked against its recorded SHA-256 and size. */
async function streamedCopy(req: CopyRequest, opened: OpenedSource): Promise<CopyResult> {
  const { source, dest } = req;
  const url = formatS3Url(source);
  // A plain source (Ceph RGW serves one even to a GET with a key) is read on without a key.
  const ranges = new ObjectRanges(req.io, source, opened.encrypted ? source.sseKey : undefined, opened.first,
    { size: opened.size, length: opened.firstLength });
  try {
    const sha256 = opened.sha256 ?? (opened.encrypted ? await taggedSha256(req.io, source, opened.versionId) : undefined);
    const r = await uploadObject({
      io: req.io, target: { ...dest, props: overridden(overridden(req.sourceInfo?.props ?? {}, opened.props), req.props),
        mtimeMs: opened.mtimeMs ?? req.sourceInfo?.mtimeMs },
      source: { kind: 'ranges', ranges },
      tuning: req.tuning, events: { onBytes: req.events?.onBytes, onWarning: req.events?.onWarning },
      beforeCommit: (got, size) => {
        if (size !== opened.size || (sha256 && got !== sha256)) {
          throw new Sse3Error('INTEGRITY', `${url}: the data read does not match its recorded SHA-256/size; the copy was not written`,
            'the source changed or is corrupted; check it with sse3 verify --deep');
        }
      },
    });
    return { ...r, method: 'streamed' };
  } finally {
    ranges.destroy();
  }
}
