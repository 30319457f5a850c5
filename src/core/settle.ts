import type { RotationRecord } from '../manifest/store.js';
import { formatS3Url } from '../s3/url.js';
import { newEntry } from '../manifest/entry.js';
import { settleOrphanUploads } from './orphans.js';
import { processAlive } from './process.js';
import { PLAIN_FINGERPRINT, probe, type RotateContext, rotateObject, type RotateResult } from './rotate.js';
import { headWithoutKey } from './head.js';
import { putTags, tagsFor } from './ssec.js';

export interface SettleResult {
  url: string;
  bucket: string;
  key: string;
  oldFingerprint: string;
  newFingerprint: string;
  journalId: number;
  outcome: 'new-key' | 'old-key' | 'unresolved';
  detail?: string;
}

/**
 * Settle rotations a killed sse3 left pending: probe which recorded key opens
 * each object now. Opens with the new key → make sure manifest and tags say so.
 * Opens with the old key → the write never landed; the journal entry is closed
 * and the object can be rotated again. Neither → left pending and reported.
 */
export async function settleRotations(ctx: RotateContext): Promise<SettleResult[]> {
  const results: SettleResult[] = [];
  for (const r of ctx.io.manifest.openRotations(ctx.io.conn.endpoint)) {
    if (processAlive(r.pid)) continue; // another sse3 is rotating it right now
    results.push(await settleOne(ctx, r));
  }
  await settleOrphanUploads(ctx.io, ctx.findKey);
  return results;
}

async function settleOne(ctx: RotateContext, r: RotationRecord): Promise<SettleResult> {
  const { manifest } = ctx.io;
  const url = formatS3Url(r);
  const location = { endpoint: r.endpoint, bucket: r.bucket, key: r.key };
  const base = { url, bucket: r.bucket, key: r.key, oldFingerprint: r.oldFingerprint, newFingerprint: r.newFingerprint,
    journalId: r.id };
  const [newKey, oldKey] = await Promise.all([ctx.findKey(r.newFingerprint), ctx.findKey(r.oldFingerprint)]);
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
      return { ...base, outcome: 'new-key' };
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
      manifest.settleRotation(r.id, 'abandoned');
      return { ...base, outcome: 'old-key' };
    }
  }
  const missing = [!newKey && r.newFingerprint, !oldKey && r.oldFingerprint].filter(Boolean);
  return { ...base, outcome: 'unresolved',
    detail: missing.length ? `keys not found here: ${missing.join(', ')}` : 'neither recorded key opens it' };
}

export interface ResumeReport {
  settled: SettleResult[];
  redone: RotateResult[];
  unresolved: SettleResult[];
}

/**
 * rotate --resume: settle what killed rotations left, then redo the rotations that never wrote, so the job that
 * was given is finished.
 */
export async function resumeRotations(ctx: RotateContext): Promise<ResumeReport> {
  const settled = await settleRotations(ctx);
  const redone: RotateResult[] = [];
  for (const r of settled.filter((x) => x.outcome === 'old-key')) {
    const [oldKey, newKey] = await Promise.all([ctx.findKey(r.oldFingerprint), ctx.findKey(r.newFingerprint)]);
    if (oldKey && newKey) redone.push(await rotateObject(ctx, r.bucket, r.key, oldKey, newKey));
  }
  return { settled, redone, unresolved: settled.filter((r) => r.outcome === 'unresolved') };
}
