import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { Connection } from '../s3/client.js';
import { describeS3Error } from '../s3/errors.js';
import { formatS3Url } from '../s3/url.js';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';
import { TAG_SHA256, unquoteEtag } from './ssec.js';
import { removeStaleTempFiles, tempPathFor, trackTemp, untrackTemp } from './tempfiles.js';

export type DownloadTarget = { kind: 'file'; path: string } | { kind: 'stream'; stream: Writable };

export interface DownloadRequest {
  conn: Connection;
  bucket: string;
  key: string;
  versionId?: string;
  sseKey: SseCKey;
  /** Plaintext SHA-256 the manifest recorded, if any, and for which version. */
  expectedSha256?: string;
  expectedVersionId?: string;
  /** Fingerprint the manifest recorded, for a precise wrong-key message. */
  expectedFingerprint?: string;
  target: DownloadTarget;
  signal?: AbortSignal;
  onStart?: (size: number) => void;
  onBytes?: (n: number) => void;
}

/** Where the expected SHA-256 came from; 'none' when nothing recorded one (not written by sse3). */
export type ChecksumSource = 'manifest' | 'metadata' | 'tag' | 'none';

export interface DownloadResult {
  size: number;
  sha256: string;
  checkedAgainst: ChecksumSource;
  versionId: string;
  etag: string;
}

/**
 * GET an SSE-C object and verify the plaintext against the SHA-256 recorded
 * at upload. A file target is written to a temporary file and renamed only
 * after every check passed.
 */
export async function downloadObject(req: DownloadRequest): Promise<DownloadResult> {
  const s3 = await import('@aws-sdk/client-s3');
  const url = formatS3Url({ bucket: req.bucket, key: req.key });
  const errCtx = { op: 'get' as const, url, sentFingerprint: req.sseKey.fingerprint, expectedFingerprint: req.expectedFingerprint };
  let resp;
  try {
    resp = await req.conn.client.send(new s3.GetObjectCommand({
      Bucket: req.bucket, Key: req.key, VersionId: req.versionId, ...req.sseKey.sseC(),
    }), { abortSignal: req.signal });
  } catch (e) {
    throw describeS3Error(e, errCtx);
  }
  const body = resp.Body as Readable;
  // A server may answer an unencrypted object with 200 despite the SSE-C headers (Ceph RGW does).
  if (resp.SSECustomerAlgorithm !== 'AES256') {
    body.destroy();
    throw new Sse3Error('NOT_ENCRYPTED', `${url} is not encrypted with SSE-C (the server reports no customer key)`,
      'sse3 only reads SSE-C objects; read it with a plain S3 client');
  }

  let expected: { sha256?: string; source: ChecksumSource } | Promise<{ sha256?: string; source: ChecksumSource }>;
  const recordedVersionMatches = !req.expectedVersionId || !resp.VersionId || req.expectedVersionId === resp.VersionId;
  if (req.expectedSha256 && recordedVersionMatches) expected = { sha256: req.expectedSha256, source: 'manifest' };
  else if (resp.Metadata?.[TAG_SHA256]) expected = { sha256: resp.Metadata[TAG_SHA256], source: 'metadata' };
  else {
    // Multipart uploads carry their checksum in a tag (known only after the upload); fetch it alongside the body.
    expected = req.conn.client.send(new s3.GetObjectTaggingCommand({ Bucket: req.bucket, Key: req.key, VersionId: resp.VersionId }))
      .then((t) => {
        const sha256 = t.TagSet?.find((tag) => tag.Key === TAG_SHA256)?.Value;
        return { sha256, source: sha256 ? 'tag' as const : 'none' as const };
      }, () => ({ source: 'none' as const }));
  }

  const size = resp.ContentLength ?? 0;
  req.onStart?.(size);
  const hash = createHash('sha256');
  let received = 0;

  const check = async () => {
    const exp = await expected;
    if (received !== size) {
      throw new Sse3Error('INTEGRITY', `${url}: received ${received} bytes, the server announced ${size}`, 'try again');
    }
    const sha256 = hash.digest('hex');
    if (exp.sha256 && exp.sha256 !== sha256) {
      throw new Sse3Error('INTEGRITY', `${url}: SHA-256 of the decrypted data does not match the one recorded at upload (${exp.source})`,
        'the object was changed or corrupted after sse3 wrote it; nothing was written locally');
    }
    return { size, sha256, checkedAgainst: exp.sha256 ? exp.source : 'none' as ChecksumSource,
      versionId: resp.VersionId ?? '', etag: unquoteEtag(resp.ETag) };
  };

  const pump = async (write: (chunk: Buffer) => Promise<void>) => {
    try {
      for await (const chunk of body) {
        hash.update(chunk);
        await write(chunk);
        received += chunk.length;
        req.onBytes?.(chunk.length);
      }
    } catch (e) {
      if (e instanceof Sse3Error) throw e;
      if (req.signal?.aborted) throw new Sse3Error('INTERRUPTED', `download of ${url} was interrupted`);
      throw describeS3Error(e, errCtx);
    }
  };

  if (req.target.kind === 'stream') {
    const out = req.target.stream;
    await pump(async (chunk) => {
      if (!out.write(chunk)) await once(out, 'drain');
    });
    return check();
  }

  const dest = req.target.path;
  await removeStaleTempFiles(dest);
  const tmp = tempPathFor(dest);
  trackTemp(tmp);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', 0o666);
    const h = handle;
    await pump(async (chunk) => { await h.write(chunk); });
    await handle.sync();
    await handle.close();
    handle = undefined;
    const result = await check();
    await fs.rename(tmp, dest);
    return result;
  } catch (e) {
    body.destroy();
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    if (e instanceof Sse3Error) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new Sse3Error('LOCAL_IO', `cannot write ${dest}: ${code}`, undefined, { cause: e });
    throw e;
  } finally {
    untrackTemp(tmp);
  }
}
