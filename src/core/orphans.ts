import { statusOf } from '../s3/errors.js';
import { newEntry } from '../manifest/entry.js';
import type { Io } from './context.js';
import type { SseCKey } from './key.js';
import { confirmsKey, putTags, tagsFor } from './ssec.js';
import { processAlive } from './process.js';

/**
 * Settle multipart uploads that an sse3 process started and did not live to
 * finish (killed mid-upload). Not completed: abort it, or its parts stay on the
 * server, invisible and billed. Completed but not yet recorded (killed right
 * after CompleteMultipartUpload): record the object if the recorded key opens
 * it, so no object is left without a record of its key. Uploads of live
 * processes are left alone.
 */
export async function settleOrphanUploads(io: Io, findKey: (fingerprint: string) => Promise<SseCKey | undefined>): Promise<number> {
  const { conn, manifest } = io;
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
        const h = await conn.objects.headObject({ Bucket: u.bucket, Key: u.key, ...key.sseC() }).catch(() => undefined);
        if (h && confirmsKey(h, key) && h.ContentLength === u.completing.size) {
          await putTags(io, { bucket: u.bucket, key: u.key, versionId: h.VersionId }, tagsFor(u.fingerprint, u.completing.sha256))
            .catch(() => undefined);
          manifest.recordUpload(newEntry(u, { versionId: h.VersionId, fingerprint: u.fingerprint, size: u.completing.size,
            sha256: u.completing.sha256, etag: h.ETag }), u.uploadId);
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
