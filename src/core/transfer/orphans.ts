import { statusOf } from '../../s3/errors.js';
import { newEntry } from '../../manifest/entry.js';
import type { PendingUpload } from '../../manifest/store.js';
import type { Io } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { headWithKey, type OpenedObject } from '../keyed.js';
import { META_UPLOAD, putTags, tagsFor } from '../tags.js';
import { processAlive } from '../runtime/process.js';

/**
 * Settle multipart uploads that an sse3 process started and did not live to
 * finish (killed mid-upload). Not completed: abort it, or its parts stay on the
 * server, invisible and billed. Completed but not yet recorded (killed right
 * after CompleteMultipartUpload): record and tag the object — only when it is
 * provably the one the upload wrote (wroteIt) — so no object is left without a
 * record of its key. Uploads of live processes are left alone.
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
        let head;
        try {
          head = await headWithKey(io, { bucket: u.bucket, key: u.key }, key, { op: 'head' });
        } catch {
          continue; // no answer (after the retry policy): whether the upload wrote it is asked again next time
        }
        if (head.verdict === 'opens' && wroteIt(u, u.completing.size, head.answer)) {
          const o = head.answer;
          await putTags(io, { bucket: u.bucket, key: u.key, versionId: o.versionId }, tagsFor(u.fingerprint, u.completing.sha256))
            .catch(() => undefined);
          manifest.recordUpload(newEntry(u, { versionId: o.versionId, fingerprint: u.fingerprint, size: u.completing.size,
            sha256: u.completing.sha256, etag: o.etag }), u.uploadId);
          settled++;
          continue;
        }
      }
    }
    // Aborted, gone without a trace, or an object this upload cannot be shown to have written: nothing to record.
    manifest.endUpload(u, u.uploadId);
    settled++;
  }
  return settled;
}

/**
 * Is the object that opens with the upload's key the one this upload wrote? It has the upload's size and carries
 * the random value journalled with the upload in its metadata. Key and size alone prove nothing: any object of that
 * size under that key would pass, and recording it would replace its row and rewrite its tags with the journal's
 * checksum. An upload journalled without a value (by an older sse3) proves nothing either.
 */
function wroteIt(u: PendingUpload, size: number, o: OpenedObject): boolean {
  return o.size === size && u.token !== undefined && o.metadata[META_UPLOAD] === u.token;
}
