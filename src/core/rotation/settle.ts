import { ExitCode, exitCodeOf, worstExitCode } from '../../errors.js';
import type { RotationRecord } from '../../manifest/store.js';
import { formatS3Url } from '../../s3/url.js';
import { newEntry } from '../../manifest/entry.js';
import { processAlive } from '../runtime/process.js';
import { PLAIN_FINGERPRINT, probe, type RotateContext, rotateObject, type RotateResult } from './rotate.js';
import { headWithoutKey } from '../objects/keyless.js';
import { putTags, tagsFor } from '../tags.js';

export interface SettleResult {
  url: string;
  bucket: string;
  key: string;
  oldFingerprint: string;
  newFingerprint: string;
  journalId: number;
  /**
   * new-key: the write landed, the rotation is closed. old-key: it never landed, the object still opens with the
   * old key and the rotation stays journalled until `rotate --resume` finishes it. unresolved: stays journalled.
   */
  outcome: 'new-key' | 'old-key' | 'unresolved';
  /** Fingerprints of the keys it needs that sse3 cannot find here. */
  needs: string[];
  detail?: string;
}

/**
 * Settle rotations a killed sse3 left pending: probe which recorded key opens
 * each object now. Opens with the new key → make sure manifest and tags say so,
 * and close the entry. Opens with the old key → the write never landed; the
 * entry stays journalled (the rotation was asked for and is not done) until
 * rotate --resume finishes it or a later rotation of the object replaces it.
 * Neither → left pending and reported.
 */
export async function settleRotations(ctx: RotateContext): Promise<SettleResult[]> {
  const results: SettleResult[] = [];
  for (const r of ctx.io.manifest.openRotations(ctx.io.conn.endpoint)) {
    if (processAlive(r.pid)) continue; // another sse3 is rotating it right now
    results.push(await settleOne(ctx, r));
  }
  // Orphaned uploads were settled when the session opened (openSession), once per command.
  return results;
}

async function settleOne(ctx: RotateContext, r: RotationRecord): Promise<SettleResult> {
  const { manifest } = ctx.io;
  const url = formatS3Url(r);
  const location = { endpoint: r.endpoint, bucket: r.bucket, key: r.key };
  const [newKey, oldKey] = await Promise.all([ctx.findKey(r.newFingerprint), ctx.findKey(r.oldFingerprint)]);
  const base = { url, bucket: r.bucket, key: r.key, oldFingerprint: r.oldFingerprint, newFingerprint: r.newFingerprint,
    journalId: r.id, needs: [!newKey && r.newFingerprint, !oldKey && r.oldFingerprint].filter((f): f is string => Boolean(f)) };
  if (newKey) {
    const p = await probe(ctx, r.bucket, r.key, newKey);
    if (p.opens) {
      if (manifest.lookup(location, p.versionId)?.fingerprint !== r.newFingerprint) {
        manifest.record(newEntry(location, { versionId: p.versionId, fingerprint: r.newFingerprint, size: p.size,
          sha256: r.sha256 || p.sha256 }));
      }
      // A kill between commit and tagging leaves the old fingerprint in the tag.
      await putTags(ctx.io, { bucket: r.bucket, key: r.key, versionId: p.versionId }, tagsFor(r.newFingerprint, r.sha256 || p.sha256))
        .catch(() => undefined);
      manifest.settleRotation(r.id, 'done');
      return { ...base, outcome: 'new-key', needs: [] };
    }
  }
  // A plain object being encrypted (adopt --encrypt-plain): still plain means the write never landed.
  if (r.oldFingerprint === PLAIN_FINGERPRINT && (await headWithoutKey(ctx.io, r).catch(() => undefined))?.state === 'plain') {
    manifest.settleRotation(r.id, 'abandoned');
    return { ...base, outcome: 'old-key' };
  }
  if (oldKey) {
    const p = await probe(ctx, r.bucket, r.key, oldKey);
    if (p.opens) {
      return { ...base, outcome: 'old-key', ...(newKey ? {} : { detail: `not written yet (it still opens with the old key); finishing it needs the new key ${r.newFingerprint}` }) };
    }
  }
  return { ...base, outcome: 'unresolved',
    detail: base.needs.length ? `keys not found here: ${base.needs.join(', ')}` : 'neither recorded key opens it' };
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
 */
export async function resumeRotations(ctx: RotateContext): Promise<ResumeReport> {
  const settled = await settleRotations(ctx);
  const redone: RotateResult[] = [];
  const unresolved: SettleResult[] = [];
  const codes: ExitCode[] = [];
  for (const r of settled) {
    if (r.outcome === 'new-key') continue;
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
      unresolved.push({ ...r, outcome: 'unresolved', detail: `redoing it failed: ${(e as Error).message}` });
      codes.push(exitCodeOf(e));
    }
  }
  return { settled, redone, unresolved, exitCode: worstExitCode(codes) };
}
