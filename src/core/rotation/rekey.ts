import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import { newEntry, type ObjectLocation } from '../../manifest/store.js';
import { statusOf } from '../../s3/errors.js';
import { formatS3Url } from '../../s3/url.js';
import { copyObject, type CopyResult, mayCopyServerSide } from '../transfer/copy.js';
import { keyOpeningNow, opensNowText, recordOpening } from './opens-now.js';
import { type Opened, probe, type RotateContext } from './probe.js';

/** A rotation's journal entry, with what the rotated version must keep. */
export interface Journalled {
  id: number;
  /** The plaintext SHA-256 recorded for the object ('' when none is). */
  sha256: string;
  mtimeMs?: number;
}

/**
 * Copy the object onto itself under the new key — only over the version that was read: the write carries If-Match
 * with its ETag, and a large object's later ranges are read under the old key, so another writer or rotation that got
 * there first makes it fail (CHANGED) instead of being overwritten by what was read before it.
 */
export async function rekey(ctx: RotateContext, location: ObjectLocation, before: Opened, journal: Journalled,
  oldKey: SseCKey, newKey: SseCKey): Promise<CopyResult> {
  const { bucket, key } = location;
  const sha256 = journal.sha256 || undefined;
  // The first part already read is used by the first attempt only.
  let opened = before.opened && { ...before.opened, sha256 };
  const still = async () => {
    const now = await probe(ctx, bucket, key, oldKey);
    return now.opens && now.versionId === before.versionId && now.etag === before.etag;
  };
  try {
    return await overVersionRead(ctx, location, { etag: before.etag, still }, (ifMatch) => {
      const first = opened;
      opened = undefined;
      return copyObject({
        io: ctx.io, tuning: ctx.tuning, events: ctx.events,
        source: { bucket, key, versionId: before.versionId || undefined, sseKey: oldKey, sha256 },
        sourceInfo: { size: before.size, versionId: before.versionId || undefined, props: before.props, encrypted: true,
          sha256, mtimeMs: journal.mtimeMs },
        opened: first,
        dest: { bucket, key, sseKey: newKey, ifMatch },
      });
    });
  } catch (e) {
    opened?.first.Body.destroy();
    return afterFailedWrite(ctx, location, { before, journal, oldKey, newKey }, e);
  }
}

/**
 * A write over the version of an object that was read: conditional on its ETag (If-Match), so a server that finds
 * another version there refuses it (412, CHANGED). A server that refuses it although `still()` finds the version read
 * still there (Ceph RGW 16 refuses every If-Match in a versioned bucket) is remembered for the connection, and from
 * then on `still()` is asked just before each write instead — a check with a window of one request, where the
 * server offers nothing better; within one sse3 home the rotation journal closes that window too.
 */
export async function overVersionRead<T>(ctx: RotateContext, obj: { bucket: string; key: string },
  read: { etag: string; still: () => Promise<boolean> }, write: (ifMatch: string | undefined) => Promise<T>): Promise<T> {
  const { limits } = ctx.io.conn;
  if (!limits.noConditionalWrites && read.etag) {
    try {
      return await write(read.etag);
    } catch (e) {
      if (!(e instanceof Sse3Error && e.code === 'CHANGED' && statusOf(e.cause) === 412) || !(await read.still())) throw e;
      limits.noConditionalWrites = true;
    }
  } else if (!(await read.still())) {
    throw new Sse3Error('CHANGED', `${formatS3Url(obj)} changed since sse3 read it (another writer replaced or re-keyed it first); ` +
      'nothing was written over it', 'run the command again to act on the object as it is now');
  }
  return write(undefined);
}

/**
 * A write that failed is settled by asking the object which key opens it now (keyOpeningNow), never by guessing:
 * - the new key, same content: the write landed (its answer was lost): done;
 * - the old key, the version and ETag that were read: nothing landed; the entry is closed and the failure stands;
 * - anything else — another key, plain, gone, other content under the old key: another writer or rotation changed it
 *   first. The entry is closed (never redone later), the manifest names the key that opens it (a re-key only), and
 *   the rotation says so: CHANGED, exit 1;
 * - no answer, or no key sse3 has opens it: the entry stays journalled, and the error says to run rotate --resume.
 */
async function afterFailedWrite(ctx: RotateContext, location: ObjectLocation,
  r: { before: Opened; journal: Journalled; oldKey: SseCKey; newKey: SseCKey }, e: unknown): Promise<CopyResult> {
  // Ctrl-C: the entry stays journalled, and the next run settles it.
  if (ctx.io.signal?.aborted) throw e;
  const { manifest } = ctx.io;
  const { before, journal, newKey } = r;
  const url = formatS3Url(location);
  const resume = `the rotation stays journalled: sse3 rotate --resume settles it`;
  const now = await keyOpeningNow(ctx, location, [newKey, r.oldKey]).catch(() => undefined);
  if (!now || now.state === 'unknown') throw withHint(e, resume);
  const expected = { size: before.size, sha256: journal.sha256, mtimeMs: journal.mtimeMs };
  if (now.state === 'key' && now.key.fingerprint === newKey.fingerprint && sameContent(now.opened, expected)) {
    const entry = newEntry(location, { versionId: now.opened.versionId, fingerprint: newKey.fingerprint, size: now.opened.size,
      sha256: journal.sha256 || now.opened.sha256, etag: now.opened.etag, mtimeMs: journal.mtimeMs });
    manifest.record(entry);
    return { ...entry, parts: 1, method: mayCopyServerSide(ctx.io, ctx.tuning) ? 'server-side' : 'streamed' };
  }
  if (now.state === 'key' && now.key.fingerprint === r.oldKey.fingerprint && now.opened.versionId === before.versionId
    && now.opened.etag === before.etag) {
    manifest.settleRotation(journal.id, 'abandoned');
    throw e;
  }
  const kept = now.state === 'key' && await recordOpening(ctx, location, now, expected).catch(() => undefined) === 'other-content'
    ? '; it holds other content than recorded, so the record was kept' : '';
  manifest.settleRotation(journal.id, 'abandoned');
  throw new Sse3Error('CHANGED', `another rotation or writer changed ${url} first: ${opensNowText(now)}${kept}; this rotation ` +
    'did not re-key it', `to re-key it to key ${newKey.fingerprint} as it is now, run the rotate again`, { cause: e });
}

const sameContent = (o: Opened, expected: { size: number; sha256: string }) =>
  o.size === expected.size && (!o.sha256 || !expected.sha256 || o.sha256 === expected.sha256);

/** The same error with a hint that says what follows from it (an Sse3Error keeps its code and exit status). */
function withHint(e: unknown, hint: string): unknown {
  if (!(e instanceof Sse3Error)) return e;
  return new Sse3Error(e.code, e.message, e.hint ? `${e.hint}; ${hint}` : hint, { cause: e.cause, exitCode: e.exitCode });
}
