import type { Connection } from '../s3/client.js';
import { statusOf } from '../s3/errors.js';
import type { ManifestStore } from '../manifest/store.js';

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
 * Abort multipart uploads that an sse3 process started and did not live to
 * complete or abort (killed mid-upload): their parts would otherwise stay on
 * the server, invisible and billed. Uploads of live processes are left alone.
 */
export async function abortOrphanUploads(conn: Connection, manifest: ManifestStore): Promise<number> {
  const orphans = manifest.pendingUploads(conn.endpoint).filter((u) => !processAlive(u.pid));
  if (orphans.length === 0) return 0;
  const { AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3');
  let aborted = 0;
  for (const u of orphans) {
    try {
      await conn.client.send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId }));
      aborted++;
    } catch (e) {
      if (statusOf(e) !== 404) continue; // the server may be back later: try again next time
    }
    manifest.endUpload(u, u.uploadId);
  }
  return aborted;
}
