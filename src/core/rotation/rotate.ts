import { formatS3Url } from '../../s3/url.js';
import { recordedVersionId } from '../../s3/version.js';
import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import type { ManifestEntry, ObjectLocation, RotationRecord } from '../../manifest/store.js';
import { type CopyResult, firstPart } from '../transfer/copy.js';
import { type CopyTurn, copyTurn } from './copy-turn.js';
import { SMALL_OBJECT } from '../runtime/batch.js';
import { faultPoint } from '../../faults.js';
import { judgeKey, unquoteEtag } from '../keyed.js';
import { mtimeFromMetadata, readSse3Tags } from '../tags.js';
import { plainResult } from './plain.js';
import { type Opened, probe, type Probe, type RotateContext } from './probe.js';
import { awaitOthers, claim, closeSuperseded, inFlight } from './journal.js';
import { type Journalled, rekey } from './rekey.js';

export { type Opened, probe, type Probe, type RotateContext } from './probe.js';

export interface RotateResult {
  url: string;
  /**
   * plain: not encrypted, so not rotated (oldFingerprint is PLAIN_FINGERPRINT); adopt --encrypt-plain encrypts it.
   * deleted: its current version is a delete marker, so there is nothing current to rotate; its versions keep their key.
   */
  status: 'rotated' | 'already' | 'plain' | 'deleted';
  oldFingerprint: string;
  newFingerprint: string;
  versionId: string;
  method?: CopyResult['method'];
  /** Older versions of this object the manifest still records under the old key. */
  olderVersionsWithOldKey: number;
}

/**
 * GET of the first part with a key: the same answer as probe(), and the object's first bytes with it — a small
 * object is then re-keyed with one more request (the PUT).
 */
async function openWith(ctx: RotateContext, bucket: string, key: string, sseKey: SseCKey): Promise<Probe> {
  // Ceph answers a GET with SSE-C headers of a plain object with 200 and the plaintext: judgeKey says 'plain'.
  const r = await judgeKey(() => firstPart(ctx.io, { bucket, key, sseKey }, ctx.tuning?.partSize), (o) => o.first, sseKey,
    { bucket, key }, { op: 'rotate' });
  if (r.verdict === 'missing') throw r.error;
  if (r.verdict !== 'opens') {
    if ('answer' in r) r.answer.first.Body.destroy();
    return { opens: false, plain: r.verdict === 'plain' };
  }
  const o = r.answer;
  return { opens: true, versionId: o.versionId ?? '', etag: unquoteEtag(o.first.ETag), sha256: o.sha256, size: o.size,
    props: o.props, mtimeMs: mtimeFromMetadata(o.first.Metadata), opened: o };
}

export const olderWithKey = (ctx: RotateContext, bucket: string, key: string, fingerprint: string, current: string) =>
  olderIn(ctx.io.manifest.versions({ endpoint: ctx.io.conn.endpoint, bucket, key }), fingerprint, current);

/** Of an object's recorded versions, how many other than `current` are under the key. */
const olderIn = (recorded: ManifestEntry[], fingerprint: string, current: string) =>
  recorded.filter((v) => v.versionId !== recordedVersionId(current) && v.fingerprint === fingerprint).length;

/** Rounds of waiting for another rotation of the same object before this one gives up its turn. */
const MAX_ROUNDS = 5;

/**
 * Re-encrypt one object in place under a new key. The intent (object, old and new fingerprint) is journalled before
 * anything is written, so after a crash at any point both keys that might open the object are on record, and
 * settleRotations() can tell which one does. Rotations of one object by several sse3 processes of this home take
 * turns (core/rotation/journal.ts): one that finds the object changed by another first writes nothing and says so
 * (CHANGED, exit 1) — or, when the other went to the same key, reports it already rotated.
 */
export async function rotateObject(ctx: RotateContext, bucket: string, key: string, oldKey: SseCKey, newKey: SseCKey)
  : Promise<RotateResult> {
  const base = { url: formatS3Url({ bucket, key }), oldFingerprint: oldKey.fingerprint, newFingerprint: newKey.fingerprint };
  const location = { endpoint: ctx.io.conn.endpoint, bucket, key };
  // Already under the target key: a HEAD says so, and nothing is read or written.
  if (oldKey.fingerprint === newKey.fingerprint) return notRotated(ctx, { bucket, key }, await probe(ctx, bucket, key, oldKey), newKey, base);
  let watched: RotationRecord[] = [];
  for (let round = 1; ; round++) {
    const quiet = await awaitOthers(ctx, location, base.url);
    const changer = firstChange([...quiet.waitedFor, ...watched.map((r) => ctx.io.manifest.rotation(r.id)!)], oldKey.fingerprint);
    if (changer) return lostTo(ctx, { bucket, key }, changer, newKey, base);
    const turn = await copyTurn(ctx);
    try {
      const done = await oneRound(ctx, { location, base, seen: quiet.seen, lastRound: round >= MAX_ROUNDS, turn }, oldKey, newKey);
      if (!Array.isArray(done)) return done;
      watched = done;
    } finally {
      turn.end();
    }
  }
}

interface Round {
  location: ObjectLocation;
  base: ResultBase;
  /** The journal's mark when no other rotation of the object was in flight (awaitOthers). */
  seen: number;
  /** No more rounds of waiting for other rotations of the object: this one decides. */
  lastRound: boolean;
  turn: CopyTurn;
}

/**
 * One try at rotating an object: its result, or the other rotations of it still in flight to watch in the next round.
 * Where the server may copy SSE-C objects server-side, a HEAD tells what to journal and CopyObject re-keys the object
 * without its bytes passing through sse3. Elsewhere (Ceph RGW) the GET that starts the streamed copy tells the same:
 * two requests for a small object, GET and PUT.
 */
async function oneRound(ctx: RotateContext, r: Round, oldKey: SseCKey, newKey: SseCKey): Promise<RotateResult | RotationRecord[]> {
  const { location, base } = r;
  const { bucket, key } = location;
  const before = r.turn.serverSide ? await probe(ctx, bucket, key, oldKey) : await openWith(ctx, bucket, key, oldKey);
  // Refused by the old key: a rotation journalled since the wait may have re-keyed it under our feet.
  const since = before.opens ? [] : ctx.io.manifest.rotationsOf(location).filter((o) => inFlight(o) || o.id > r.seen);
  if (since.some(inFlight) && !r.lastRound) return since;
  if (!before.opens) return notRotated(ctx, { bucket, key }, before, newKey, base, firstChange(since, oldKey.fingerprint));
  const intent = await rotationIntent(ctx, location, before, oldKey, newKey);
  const claimed = claim(ctx, intent.record, r.seen, oldKey.fingerprint);
  if ('conflict' in claimed) {
    before.opened?.first.Body.destroy();
    if (inFlight(claimed.conflict) && !r.lastRound) return [claimed.conflict];
    return lostTo(ctx, { bucket, key }, claimed.conflict, newKey, base);
  }
  const journal: Journalled = { id: claimed.id, ...intent.kept };
  faultPoint('rotate-journalled');
  // With a checksum to give it, the write tries CopyObject where the server may copy: its answer is then known. A
  // large object's streamed copy would keep the others waiting long after that answer: it passes the question on.
  if (before.size >= SMALL_OBJECT || !journal.sha256) r.turn.end();
  else if (r.turn.serverSide) r.turn.tried();
  const copied = await rekey(ctx, location, before, journal, oldKey, newKey);
  faultPoint('rotate-written');
  // The write's answer confirmed it: the PUT's or CopyObject's echo of the new key's MD5, or after a multipart
  // upload a HEAD with the new key (core/transfer/upload.ts). A write it did not confirm was removed and threw above.
  // Settled with the new version's row: in a batch, a group of them in one transaction (ManifestStore.rotationDone).
  ctx.io.manifest.rotationDone(journal.id, location);
  closeSuperseded(ctx, location, { id: journal.id, oldFingerprint: oldKey.fingerprint, newFingerprint: newKey.fingerprint },
    claimed.others);
  // Counted in the rows read before the write: the new version's row (under the new key, and waiting to be written
  // with others in a batch) leaves the count as it is, and so does the row it replaces in a bucket without versions.
  return { ...base, status: 'rotated', versionId: copied.versionId, method: copied.method,
    olderVersionsWithOldKey: olderIn(intent.recorded, oldKey.fingerprint, copied.versionId) };
}
/** Of other rotations of the object, one that re-keyed it away from the key this one starts from. */
const firstChange = (others: RotationRecord[], from: string): RotationRecord | undefined =>
  others.find((r) => r.state === 'done' && r.newFingerprint !== from) ?? others.find((r) => r.state === 'pending');

type ResultBase = Pick<RotateResult, 'url' | 'oldFingerprint' | 'newFingerprint'>;

/**
 * Another rotation of this home changed the object first (or, pending, may have: its process died). To this
 * rotation's key: nothing left to do, it is already rotated (a HEAD confirms). To another: this one wrote nothing,
 * and says so — CHANGED, exit 1 — with what to run.
 */
async function lostTo(ctx: RotateContext, obj: { bucket: string; key: string }, other: RotationRecord, newKey: SseCKey,
  base: ResultBase): Promise<RotateResult> {
  if (other.state === 'done' && other.newFingerprint === newKey.fingerprint) {
    const now = await probe(ctx, obj.bucket, obj.key, newKey);
    if (now.opens) return { ...base, status: 'already', versionId: now.versionId, olderVersionsWithOldKey: 0 };
  }
  if (inFlight(other)) {
    throw new Sse3Error('CHANGED', `${base.url} is still being rotated by another sse3 (process ${other.pid}); this rotation ` +
      'wrote nothing', 'run this rotate again once that one has finished');
  }
  if (other.state !== 'done') {
    throw new Sse3Error('CHANGED', `another rotation of ${base.url} (sse3 process ${other.pid}) stopped before it was settled, ` +
      'before this one could write; this rotation wrote nothing', 'settle it with sse3 rotate --resume, then run this rotate again');
  }
  throw new Sse3Error('CHANGED', `another rotation changed ${base.url} first: sse3 process ${other.pid} re-keyed it to key ` +
    `${other.newFingerprint} before this one could; this rotation wrote nothing`,
  `to re-key it to key ${base.newFingerprint} after all, run the rotate again (it now starts from key ${other.newFingerprint})`);
}

/**
 * Nothing to write. Already under the target key — the old key is the new one, or (a rerun after a rotation that
 * went through) the new key opens it: that is fine. Re-keyed by another rotation of this home meanwhile (`changer`):
 * lost to it. Not encrypted, or opened by neither key: an error.
 */
async function notRotated(ctx: RotateContext, obj: { bucket: string; key: string }, before: Probe, newKey: SseCKey, base: ResultBase,
  changer?: RotationRecord): Promise<RotateResult> {
  const { url } = base;
  if (before.opens) {
    before.opened?.first.Body.destroy();
    return { ...base, status: 'already', versionId: before.versionId, olderVersionsWithOldKey: 0 };
  }
  if (before.plain) return plainResult(url, newKey);
  const after = base.oldFingerprint === newKey.fingerprint ? before : await probe(ctx, obj.bucket, obj.key, newKey);
  if (after.opens) {
    return { ...base, status: 'already', versionId: after.versionId,
      olderVersionsWithOldKey: olderWithKey(ctx, obj.bucket, obj.key, base.oldFingerprint, after.versionId) };
  }
  if (changer) return lostTo(ctx, obj, changer, newKey, base);
  throw new Sse3Error('WRONG_KEY', `key ${base.oldFingerprint} does not open ${url}`,
    'pass the key that encrypted it with --from REF (sse3 verify shows which keys open what)');
}

/**
 * What to journal, with what the rotated version must keep (checksum and mtime) and the versions recorded before the
 * write. Multipart objects carry their
 * checksum only in the tag: without it a settled rotation would lose the checksum.
 */
async function rotationIntent(ctx: RotateContext, location: { endpoint: string; bucket: string; key: string }, before: Opened,
  oldKey: SseCKey, newKey: SseCKey) {
  // Every recorded version, newest first, in one read: the one read (or the latest), and the older ones to count.
  const versions = ctx.io.manifest.versions(location);
  const recorded = versions.find((v) => v.versionId === recordedVersionId(before.versionId)) ?? versions[0];
  try {
    const sha256 = (recorded?.fingerprint === oldKey.fingerprint && recorded.sha256) || before.sha256
      || (await readSse3Tags(ctx.io, { ...location, versionId: before.versionId }, { what: 'SHA-256', op: 'rotate' })).sha256 || '';
    return {
      record: { ...location, oldVersion: before.versionId, oldFingerprint: oldKey.fingerprint, newFingerprint: newKey.fingerprint,
        size: before.size, sha256 },
      kept: { sha256, mtimeMs: before.mtimeMs ?? recorded?.mtimeMs ?? undefined },
      recorded: versions,
    };
  } catch (e) {
    before.opened?.first.Body.destroy();
    throw e;
  }
}
