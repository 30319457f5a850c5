import { Sse3Error } from '../errors.js';
import type { ManifestEntry } from '../manifest/store.js';
import { describeS3Error } from '../s3/errors.js';
import { formatS3Url, type S3Location } from '../s3/url.js';
import { keyForObject, type ObjectKey, type Session } from './session.js';
import { keyEcho, unquoteEtag } from './ssec.js';

export interface HeadReport {
  ok: true;
  url: string;
  size: number;
  lastModified: string | null;
  etag: string;
  contentType: string | null;
  versionId: string | null;
  metadata: Record<string, string>;
  sse: { algorithm: string | null; keyMd5: string | null };
  key: { fingerprint: string; source: string; foundBy: ObjectKey['foundBy']; matches: boolean | null } | null;
  manifest: ManifestEntry | null;
}

/** HEAD an object with the key sse3 finds for it (if any): its state, whether the key matches, its manifest record. */
export async function headObject(s: Session, loc: S3Location, opts: { keyRef?: string; versionId?: string }): Promise<HeadReport> {
  const url = formatS3Url(loc);
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  let found: ObjectKey = {};
  let h;
  try {
    found = await keyForObject(s, loc, { keyRef: opts.keyRef, versionId: opts.versionId, required: false, op: 'head' });
    h = await s.conn.client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key, VersionId: opts.versionId,
      ...found.key?.sseC() }), { abortSignal: s.signal });
  } catch (e) {
    const err = describeS3Error(e, { op: 'head', url, sentFingerprint: found.key?.fingerprint, expectedFingerprint: found.fingerprint });
    if (err.code === 'NO_KEY' && found.fingerprint) {
      throw new Sse3Error('NO_KEY', `${url} is encrypted with key ${found.fingerprint}, which sse3 cannot find here`,
        `pass it with --key REF, or put its key file in ${s.paths.keyDir}`);
    }
    throw err;
  }
  const echo = found.key ? keyEcho(h, found.key) : undefined;
  return {
    ok: true, url, size: h.ContentLength ?? 0, lastModified: h.LastModified?.toISOString() ?? null,
    etag: unquoteEtag(h.ETag), contentType: h.ContentType ?? null, versionId: h.VersionId ?? null,
    metadata: h.Metadata ?? {},
    sse: { algorithm: h.SSECustomerAlgorithm ?? null, keyMd5: h.SSECustomerKeyMD5 ?? null },
    key: found.key ? { fingerprint: found.key.fingerprint, source: found.key.source, foundBy: found.foundBy,
      matches: echo === 'plain' ? null : echo === 'ours' } : null,
    manifest: found.entry ?? null,
  };
}
