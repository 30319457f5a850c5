import type { Connection } from '../s3/client.js';
import { statusOf } from '../s3/errors.js';
import type { ManifestStore } from '../manifest/store.js';
import type { SseCKey } from './key.js';
import { tagsFor, unquoteEtag } from './ssec.js';

export function processAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Settle multipart uploads that an sse3 process started and did not live to
 * finish (killed mid-upload). Not completed: abort it, or its parts stay on the
 * server, invisible and billed. Completed but not yet recorded (killed right
 * after CompleteMultipartUpload): record the object if the recorded key opens
 * it, so no object is left without a record of its key. Uploads of live
 * processes are left alone.
 */
export async function settleOrphanUploads(conn: Connection, manifest: ManifestStore,
  findKey: (fingerprint: string) => Promise<SseCKey | undefined>): Promise<number> {
  const orphans = manifest.pendingUploads(conn.endpoint).filter((u) => !processAlive(u.pid));
  if (orphans.length === 0) return 0;
  const s3 = await import('@aws-sdk/client-s3');
  let settled = 0;
  for (const u of orphans) {
    try {
      await conn.client.send(new s3.AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId }));
    } catch (e) {
      if (statusOf(e) !== 404) continue; // the server may be back later: try again next time
      if (u.completing) {
        const key = await findKey(u.fingerprint);
        if (!key) continue; // kept until the key is available here
        const h = await conn.client.send(new s3.HeadObjectCommand({ Bucket: u.bucket, Key: u.key, ...key.sseC() })).catch(() => undefined);
        if (h?.SSECustomerAlgorithm === 'AES256' && h.SSECustomerKeyMD5 === key.keyMd5 && h.ContentLength === u.completing.size) {
          const tags = tagsFor(u.fingerprint, u.completing.sha256);
          await conn.client.send(new s3.PutObjectTaggingCommand({ Bucket: u.bucket, Key: u.key, VersionId: h.VersionId,
            Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } })).catch(() => undefined);
          manifest.recordUpload({ endpoint: u.endpoint, bucket: u.bucket, key: u.key, versionId: h.VersionId ?? '',
            fingerprint: u.fingerprint, size: u.completing.size, sha256: u.completing.sha256, etag: unquoteEtag(h.ETag),
            createdAt: new Date().toISOString() }, u.uploadId);
          settled++;
          continue;
        }
      }
    }
    manifest.endUpload(u, u.uploadId);
    settled++;
  }
  return settled;
}
