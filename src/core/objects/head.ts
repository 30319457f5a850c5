import type { ManifestEntry } from '../../manifest/store.js';
import { describeS3Error } from '../../s3/errors.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import { keyForObject, type ObjectKey, type Session } from '../session/session.js';
import { keyEcho, unquoteEtag } from '../keyed.js';
import { mtimeFromMetadata, sse3Values } from '../tags.js';
import { recordFound, withObjectKey } from '../session/heal.js';
import { checkAnsweredVersion } from '../transfer/answers.js';

export interface HeadReport {
  ok: true;
  url: string;
  size: number;
  lastModified: string | null;
  etag: string;
  contentType: string | null;
  /** As the server says it: AWS leaves it out for STANDARD, Ceph RGW for a multipart object. */
  storageClass: string | null;
  cacheControl: string | null;
  contentDisposition: string | null;
  versionId: string | null;
  metadata: Record<string, string>;
  sse: { algorithm: string | null; keyMd5: string | null };
  key: { fingerprint: string; source: string; foundBy: ObjectKey['foundBy']; matches: boolean | null } | null;
  manifest: ManifestEntry | null;
  /** Said when the manifest's record was corrected from the object's tag (re-keyed elsewhere). */
  recordUpdated?: string;
}

/**
 * HEAD an object with the key sse3 finds for it (a plain object with none): its state, whether the key matches, its
 * manifest record. A key found through the tag or by trying keys is recorded, and a record that changes is said once.
 */
export async function headObject(s: Session, loc: S3Location, opts: { versionId?: string }): Promise<HeadReport> {
  const url = formatS3Url(loc);
  let found: ObjectKey = await keyForObject(s, loc, { versionId: opts.versionId, required: true, op: 'head', plain: true });
  let recordUpdated: string | undefined;
  const h = await withObjectKey(s, loc, found, { versionId: opts.versionId, op: 'head', onHealed: (line) => { recordUpdated = line; } },
    async (f) => {
      found = f;
      let answer;
      try {
        answer = await s.conn.objects.headObject({ Bucket: loc.bucket, Key: loc.key, VersionId: opts.versionId,
          ...f.key?.sseC() }, { abortSignal: s.signal });
      } catch (e) {
        throw describeS3Error(e, { op: 'head', url, sentFingerprint: f.key?.fingerprint, expectedFingerprint: f.fingerprint });
      }
      checkAnsweredVersion(opts.versionId, answer, loc);
      return answer;
    });
  const echo = found.key ? keyEcho(h, found.key) : undefined;
  if (echo === 'ours') {
    const made = recordFound(s, loc, found, { versionId: h.VersionId ?? opts.versionId, size: h.ContentLength ?? 0, etag: unquoteEtag(h.ETag),
      sha256: sse3Values(h.Metadata, { ...loc, versionId: h.VersionId }, 'metadata').sha256, mtimeMs: mtimeFromMetadata(h.Metadata) });
    if (made.entry) found.entry = made.entry;
    recordUpdated ??= made.line;
  }
  return {
    ...(recordUpdated ? { recordUpdated } : {}),
    ok: true, url, size: h.ContentLength ?? 0, lastModified: h.LastModified?.toISOString() ?? null,
    etag: unquoteEtag(h.ETag), contentType: h.ContentType ?? null, storageClass: h.StorageClass ?? null,
    cacheControl: h.CacheControl ?? null, contentDisposition: h.ContentDisposition ?? null, versionId: h.VersionId ?? null,
    metadata: h.Metadata ?? {},
    sse: { algorithm: h.SSECustomerAlgorithm ?? null, keyMd5: h.SSECustomerKeyMD5 ?? null },
    key: found.key ? { fingerprint: found.key.fingerprint, source: found.key.source, foundBy: found.foundBy,
      matches: echo === 'plain' ? null : echo === 'ours' } : null,
    manifest: found.entry ?? null,
  };
}
