import { describeS3Error, statusOf } from '../../s3/errors.js';
import { formatS3Url } from '../../s3/url.js';
import { newEntry } from '../../manifest/entry.js';
import type { PendingUpload } from '../../manifest/store.js';
import type { Io } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { headWithKey, type OpenedObject } from '../keyed.js';
import { META_UPLOAD, putTags, readSse3Tags, tagsFor } from '../tags.js';
import { processAlive } from '../runtime/process.js';

/**
 * Settle multipart uploads that an sse3 process started and did not live to finish (killed mid-upload). Not
 * completed: abort it, or its parts stay on the server, invisible and billed. Completed but not yet recorded (killed
 * right after CompleteMultipartUpload): record and tag the object — only when it is provably the one the upload wrote
 * (wroteIt) — so no object is left without a record of its key. Uploads of live processes are left alone.
 *
 * Fail-closed: an upload's record is ended only on an answer that settles it (aborted; gone; the object there is
 * provably another). When the answer is unknown — the server does not answer or refuses, the key to check with is not
 * here — the record is kept, `warn` says so and names the object, and the next run asks again: a completed upload that
 * Ceph RGW stored without a tag could not be found again once its record is gone. Ctrl-C (io.signal) stops it.
 */
export async function settleOrphanUploads(io: Io, findKey: (fingerprint: string) => Promise<SseCKey | undefined>,
  warn: (message: string) => void): Promise<number> {
  const { conn, manifest } = io;
  const orphans = manifest.pendingUploads(conn.endpoint).filter((u) => !processAlive(u.pid));
  let settled = 0;
  for (const u of orphans) {
    const decided = await settleOrphan(io, u, findKey);
    if ('keep' in decided) {
      warn(`${formatS3Url(u)}: kept the record of multipart upload ${u.uploadId} that an interrupted sse3 left, because ` +
        `${decided.keep}; the next sse3 run against this server asks again`);
      continue;
    }
    if (!decided.recorded) manifest.endUpload(u, u.uploadId);
    settled++;
  }
  return settled;
}

/** What became of one upload: ended (recorded: its object was recorded with it), or kept, and why. */
type Decision = { ended: true; recorded?: boolean } | { keep: string };

async function settleOrphan(io: Io, u: PendingUpload, findKey: (fingerprint: string) => Promise<SseCKey | undefined>)
  : Promise<Decision> {
  const url = formatS3Url(u);
  const { AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3');
  try {
    await io.conn.client.send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId }),
      { abortSignal: io.signal });
    return { ended: true }; // aborted: it made no object
  } catch (e) {
    if (io.signal?.aborted) throw e;
    if (statusOf(e) !== 404) return { keep: `it could not be aborted (${describeS3Error(e, { op: 'put', url }).message})` };
  }
  // Gone: aborted or completed. Only an upload journalled as completing may have made an object.
  if (!u.completing) return { ended: true };
  const key = await findKey(u.fingerprint);
  if (!key) return { keep: `it may have completed, and key ${u.fingerprint} that would show it is not found here` };
  let head;
  try {
    head = await headWithKey(io, { bucket: u.bucket, key: u.key }, key, { op: 'head' });
  } catch (e) {
    if (io.signal?.aborted) throw e;
    return { keep: `the server did not say whether it completed (${(e as Error).message})` };
  }
  if (head.verdict === 'opens') {
    if (!wroteIt(u, u.completing.size, head.answer)) return { ended: true }; // another object is there now
    await recordCompleted(io, u, head.answer);
    return { ended: true, recorded: true };
  }
  if (head.verdict === 'missing' || head.verdict === 'plain') return { ended: true };
  if (head.verdict === 'refused') return refusedHead(io, u, statusOf(head.error.cause));
  return { keep: head.error.message };
}

/**
 * The object there refuses the upload's key. Ceph RGW says so with 400: another writer's object under another key.
 * AWS answers 403 both to another key and to a denied request: the object's sse3-fp tag (read without a key) naming
 * another key settles it; anything else leaves it unknown.
 */
async function refusedHead(io: Io, u: PendingUpload, status: number | undefined): Promise<Decision> {
  if (status === 400) return { ended: true };
  try {
    const tagged = (await readSse3Tags(io, { bucket: u.bucket, key: u.key }, { what: 'key fingerprint', op: 'head' })).fingerprint;
    if (tagged && tagged !== u.fingerprint) return { ended: true };
  } catch (e) {
    if (io.signal?.aborted) throw e;
  }
  return { keep: `the server refused key ${u.fingerprint} for the object there (HTTP ${status ?? '?'}), which may be access denied` };
}

async function recordCompleted(io: Io, u: PendingUpload, o: OpenedObject): Promise<void> {
  const { sha256, size } = u.completing!;
  await putTags(io, { bucket: u.bucket, key: u.key, versionId: o.versionId }, tagsFor(u.fingerprint, sha256, u.token)).catch((e) => {
    if (io.signal?.aborted) throw e;
  });
  io.manifest.recordUpload(newEntry(u, { versionId: o.versionId, fingerprint: u.fingerprint, size, sha256, etag: o.etag }), u.uploadId);
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
