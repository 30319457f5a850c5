import { ExitCode, exitCodeOf, Sse3Error, worstExitCode } from '../../errors.js';
import type { RotationRecord } from '../../manifest/store.js';
import { formatS3Url } from '../../s3/url.js';
import { inFlight } from './journal.js';
import { keyOpeningNow, type OpensNow, opensNowText, recordOpening } from './opens-now.js';
import { PLAIN_FINGERPRINT } from './plain.js';
import { type RotateContext, rotateObject, type RotateResult } from './rotate.js';
import { putTags, tagsFor } from '../tags.js';

export interface SettleResult {
  url: string;
  bucket: string;
  key: string;
  oldFingerprint: string;
  newFingerprint: string;
  journalId: number;
  /**
   * new-key: the write landed, the rotation is closed. old-key: it never landed, the object still opens with the old
   * key and the rotation stays journalled until `rotate --resume` finishes it. superseded: another rotation or writer
   * changed the object after it (or it is gone): closed, never to be redone; `opensWith` names the key that opens it
   * now. not-written: an encryption of a plain object that never landed: closed, the object is still plain.
   * unresolved: stays journalled.
   */
  outcome: 'new-key' | 'old-key' | 'superseded' | 'not-written' | 'unresolved';
  /** Fingerprints of the keys it needs that sse3 cannot find here. */
  needs: string[];
  /** superseded: the fingerprint of the key that opens the object now (null: none does, it is plain or gone). */
  opensWith?: string | null;
  detail?: string;
}

/**
 * Settle rotations a killed sse3 left pending by asking each object which key opens it now (keyOpeningNow: the
 * recorded keys, its tag, every candidate key). The new key → make sure manifest and tags say so, and close the
 * entry. The old key, and nothing written over the object since → the write never landed; the entry stays journalled
 * (the rotation was asked for and is not done) until rotate --resume finishes it. Another key, plain, gone, or a later
 * rotation or write of the object → superseded: closed for good, so it is never redone over what came after it.
 * Nothing sse3 has opens it → left pending and reported. Rotations of live processes are theirs to settle.
 */
export async function settleRotations(ctx: RotateContext): Promise<SettleResult[]> {
  const results: SettleResult[] = [];
  for (const r of ctx.io.manifest.openRotations(ctx.io.conn.endpoint)) {
    if (inFlight(r)) continue; // another sse3 is rotating it right now
    results.push(await settleOne(ctx, r));
  }
  // Orphaned uploads were settled when the session opened (openSession), once per command.
  return results;
}

async function settleOne(ctx: RotateContext, r: RotationRecord): Promise<SettleResult> {
  const { manifest } = ctx.io;
  const location = { endpoint: r.endpoint, bucket: r.bucket, key: r.key };
  const [newKey, oldKey] = await Promise.all([ctx.findKey(r.newFingerprint), ctx.findKey(r.oldFingerprint)]);
  const needs = [!newKey && r.newFingerprint, !oldKey && r.oldFingerprint !== PLAIN_FINGERPRINT && r.oldFingerprint]
    .filter((f): f is string => Boolean(f));
  const base = { url: formatS3Url(r), bucket: r.bucket, key: r.key, oldFingerprint: r.oldFingerprint, newFingerprint: r.newFingerprint,
    journalId: r.id, needs };
  const close = (state: 'done' | 'abandoned', outcome: SettleResult['outcome'], more: Partial<SettleResult> = {}): SettleResult => {
    manifest.settleRotation(r.id, state);
    return { ...base, outcome, needs: [], ...more };
  };
  // A later rotation of the object went through: whatever this one did is under what that one wrote.
  const later = manifest.rotationsOf(location).find((o) => o.id > r.id && o.state === 'done');
  if (later) {
    return close(later.oldFingerprint === r.newFingerprint ? 'done' : 'abandoned', 'superseded',
      { opensWith: later.newFingerprint, detail: `a later rotation re-keyed it to key ${later.newFingerprint}` });
  }
  let now: OpensNow;
  try {
    now = await keyOpeningNow(ctx, r, [newKey, oldKey]);
  } catch (e) {
    if (ctx.io.signal?.aborted) throw e;
    return { ...base, outcome: 'unresolved', detail: `could not ask the object which key opens it: ${(e as Error).message}` };
  }
  const journalled = { size: r.size, sha256: r.sha256 };
  if (now.state === 'key' && now.key.fingerprint === r.newFingerprint) {
    await recordOpening(ctx, location, now, journalled);
    // A kill between commit and tagging leaves the old fingerprint in the tag.
    await putTags(ctx.io, { bucket: r.bucket, key: r.key, versionId: now.opened.versionId },
      tagsFor(r.newFingerprint, r.sha256 || now.opened.sha256)).catch(() => undefined);
    return close('done', 'new-key');
  }
  if (now.state === 'plain' && r.oldFingerprint === PLAIN_FINGERPRINT) {
    return close('abandoned', 'not-written', { detail: 'the object is still plain: sse3 adopt --encrypt-plain encrypts it' });
  }
  if (now.state === 'key' && now.key.fingerprint === r.oldFingerprint && !writtenSince(ctx, r, now.opened.versionId)) {
    return { ...base, outcome: 'old-key', ...(newKey ? {} : { detail: `not written yet (it still opens with the old key); finishing it needs the new key ${r.newFingerprint}` }) };
  }
  if (now.state === 'unknown') {
    // The key its tag names is the one that would settle it: needed as much as a recorded one.
    const needed = [...new Set([...needs, ...(now.tagged ? [now.tagged] : [])])];
    return { ...base, outcome: 'unresolved', needs: needed,
      detail: needs.length ? `keys not found here: ${needed.join(', ')}` : `neither recorded key opens it (${opensNowText(now)})` };
  }
  // Another key, plain, gone, or re-written under the old key since: another rotation or writer changed it first.
  const kept = now.state === 'key' && await recordOpening(ctx, location, now, journalled) === 'other-content'
    ? '; it holds other content than recorded, so its record was kept' : '';
  return close('abandoned', 'superseded', { opensWith: now.state === 'key' ? now.key.fingerprint : null,
    detail: `another rotation or writer changed it first: ${opensNowText(now)}${kept}` });
}

/**
 * Whether the object was written again after the rotation was journalled, under the old key: in a versioned bucket its
 * current version is another than the one the rotation read; otherwise the manifest recorded a write of it since.
 */
function writtenSince(ctx: RotateContext, r: RotationRecord, currentVersion: string): boolean {
  if (r.oldVersion && currentVersion !== r.oldVersion) return true;
  const row = ctx.io.manifest.lookup({ endpoint: r.endpoint, bucket: r.bucket, key: r.key });
  return row !== undefined && row.createdAt > r.startedAt;
}

export interface ResumeReport {
  settled: SettleResult[];
  redone: RotateResult[];
  /** Still journalled: a key is missing, neither key opens the object, or redoing it failed (detail says). */
  unresolved: SettleResult[];
  /** The exit status the unresolved ones call for (0 when there are none). */
  exitCode: ExitCode;
}

/**
 * rotate --resume: settle what killed rotations left, then redo the rotations that never wrote, so the job that
 * was given is finished. One that cannot be finished stays journalled and is reported with the keys it needs.
 * Closed entries (done, superseded, an encryption not written) are not redone.
 */
export async function resumeRotations(ctx: RotateContext): Promise<ResumeReport> {
  const settled = await settleRotations(ctx);
  const redone: RotateResult[] = [];
  const unresolved: SettleResult[] = [];
  const codes: ExitCode[] = [];
  for (const r of settled) {
    if (r.outcome !== 'old-key' && r.outcome !== 'unresolved') continue;
    const [oldKey, newKey] = await Promise.all([ctx.findKey(r.oldFingerprint), ctx.findKey(r.newFingerprint)]);
    if (r.outcome === 'unresolved' || !oldKey || !newKey) {
      unresolved.push({ ...r, outcome: 'unresolved' });
      codes.push(ExitCode.KEY);
      continue;
    }
    try {
      // The redo journals itself; on success it also closes this entry.
      redone.push(await rotateObject(ctx, r.bucket, r.key, oldKey, newKey));
      ctx.io.manifest.settleRotation(r.journalId, 'done');
    } catch (e) {
      if (e instanceof Sse3Error && e.code === 'INTERRUPTED') throw e;
      unresolved.push({ ...r, outcome: 'unresolved', detail: `redoing it failed: ${(e as Error).message}` });
      codes.push(exitCodeOf(e));
    }
  }
  return { settled, redone, unresolved, exitCode: worstExitCode(codes) };
}
