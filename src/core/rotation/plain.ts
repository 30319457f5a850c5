import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import { formatS3Url } from '../../s3/url.js';
import { faultPoint } from '../../faults.js';
import { copyObject } from '../transfer/copy.js';
import { headWithoutKey } from '../objects/keyless.js';
import { awaitOthers, claim, closeSuperseded } from './journal.js';
import { probe, type RotateContext } from './probe.js';
import { overVersionRead } from './rekey.js';
import type { RotateResult } from './rotate.js';

/** The old fingerprint journalled for an object that was not encrypted at all. */
export const PLAIN_FINGERPRINT = '';

/**
 * Encrypt a plain object in place under a key: a rotation from "no key". Journalled the same way — after any other
 * rotation of it in this home, and written only over the version read (If-Match) — so a crash leaves the object either
 * plain or opening with the recorded new key, and settleRotations() tells which.
 */
export async function encryptPlainObject(ctx: RotateContext, bucket: string, key: string, newKey: SseCKey): Promise<RotateResult> {
  const url = formatS3Url({ bucket, key });
  const { manifest } = ctx.io;
  const location = { endpoint: ctx.io.conn.endpoint, bucket, key };
  const quiet = await awaitOthers(ctx, location, url);
  const before = await headWithoutKey(ctx.io, { bucket, key });
  if (before.state !== 'plain') {
    throw new Sse3Error('S3', `${url} is SSE-C encrypted now, not plain`, 'run sse3 adopt again to find its key');
  }
  const claimed = claim(ctx, { ...location, oldVersion: before.versionId, oldFingerprint: PLAIN_FINGERPRINT,
    newFingerprint: newKey.fingerprint, size: before.size, sha256: '' }, quiet.seen, PLAIN_FINGERPRINT);
  if ('conflict' in claimed) {
    throw new Sse3Error('CHANGED', `another sse3 (process ${claimed.conflict.pid}) changed ${url} first or is changing it; ` +
      'this run wrote nothing', 'run sse3 adopt again once it has finished');
  }
  const journalId = claimed.id;
  faultPoint('rotate-journalled');
  const unchanged = async () => {
    const now = await headWithoutKey(ctx.io, { bucket, key });
    return now.state === 'plain' && now.versionId === before.versionId && now.etag === before.etag;
  };
  const written = await overVersionRead(ctx, location, { etag: before.etag, still: unchanged }, (ifMatch) => copyObject({
    io: ctx.io, tuning: ctx.tuning, events: ctx.events,
    source: { bucket, key, versionId: before.versionId || undefined },
    // A plain object's metadata is anyone's to write: a mode in it is not sse3's record, and is not kept.
    sourceInfo: { size: before.size, versionId: before.versionId || undefined, props: { ...before.props, mode: undefined }, encrypted: false },
    dest: { bucket, key, sseKey: newKey, ifMatch },
  })).then((copied) => ({ copied }), (error: unknown) => ({ error }));
  if ('error' in written) {
    // Still the plain version that was read: nothing was written, and the entry is closed. Otherwise settling decides.
    if (!ctx.io.signal?.aborted && await unchanged().catch(() => false)) manifest.settleRotation(journalId, 'abandoned');
    throw written.error;
  }
  faultPoint('rotate-written');
  const confirmed = await probe(ctx, bucket, key, newKey);
  if (!confirmed.opens) {
    throw new Sse3Error('INTEGRITY', `${url}: after encrypting, key ${newKey.fingerprint} does not open the object`,
      'run sse3 rotate --resume to settle it');
  }
  manifest.settleRotation(journalId, 'done');
  closeSuperseded(ctx, location, { id: journalId, oldFingerprint: PLAIN_FINGERPRINT, newFingerprint: newKey.fingerprint },
    claimed.others);
  const { copied } = written;
  return { url, status: 'rotated', oldFingerprint: PLAIN_FINGERPRINT, newFingerprint: newKey.fingerprint, versionId: copied.versionId,
    method: copied.method, olderVersionsWithOldKey: 0 };
}

/** A plain object has no key to rotate from: a state, not an error; it is left as it is. */
export const plainResult = (url: string, newKey: SseCKey): RotateResult =>
  ({ url, status: 'plain', oldFingerprint: PLAIN_FINGERPRINT, newFingerprint: newKey.fingerprint, versionId: '', olderVersionsWithOldKey: 0 });
