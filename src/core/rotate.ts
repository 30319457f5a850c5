import type { Connection } from '../s3/client.js';
import { describeS3Error, statusOf } from '../s3/errors.js';
import { formatS3Url } from '../s3/url.js';
import type { ManifestStore, RotationRecord } from '../manifest/store.js';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';
import { copyObject, type CopyResult } from './copy.js';
import { faultPoint } from './faults.js';
import { processAlive, settleOrphanUploads } from './orphans.js';
import { sha256FromTag, TAG_SHA256, tagsFor } from './ssec.js';

export interface RotateContext {
  conn: Connection;
  manifest: ManifestStore;
  signal?: AbortSignal;
  serverSide?: 'auto' | 'never';
  partSize?: number;
  concurrency?: number;
  onStart?: (size: number) => void;
  onBytes?: (n: number) => void;
  onWarning?: (message: string) => void;
  /** Finds a key sse3 knows by fingerprint (keychain, key folder, SSE3_KEY). */
  findKey: (fingerprint: string) => Promise<SseCKey | undefined>;
}

export interface RotateResult {
  url: string;
  status: 'rotated' | 'already';
  oldFingerprint: string;
  newFingerprint: string;
  versionId: string;
  method?: CopyResult['method'];
  /** Older versions of this object the manifest still records under the old key. */
  olderVersionsWithOldKey: number;
}

type Probe = { opens: true; versionId: string; sha256?: string; size: number; contentType?: string }
  | { opens: false; status?: number; plain?: boolean };

/** HEAD with a key: does this key open the current version of the object? */
async function probe(ctx: RotateContext, bucket: string, key: string, sseKey: SseCKey): Promise<Probe> {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const h = await ctx.conn.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...sseKey.sseC() }), { abortSignal: ctx.signal });
    // Ceph answers a HEAD with SSE-C headers on a plain object with 200 and no SSE-C headers of its own.
    if (h.SSECustomerAlgorithm !== 'AES256') return { opens: false, plain: true };
    if (h.SSECustomerKeyMD5 !== sseKey.keyMd5) return { opens: false };
    return { opens: true, versionId: h.VersionId ?? '', sha256: h.Metadata?.[TAG_SHA256], size: h.ContentLength ?? 0,
      contentType: h.ContentType };
  } catch (e) {
    const status = statusOf(e);
    if (status === 400 || status === 403) return { opens: false, status };
    throw describeS3Error(e, { op: 'head', url: formatS3Url({ bucket, key }), sentFingerprint: sseKey.fingerprint });
  }
}

const olderWithKey = (ctx: RotateContext, bucket: string, key: string, fingerprint: string, current: string) =>
  ctx.manifest.versions({ endpoint: ctx.conn.endpoint, bucket, key })
    .filter((v) => v.fingerprint === fingerprint && v.versionId !== current && v.versionId !== '').length;

/**
 * Re-encrypt one object in place under a new key. The intent (object, old and
 * new fingerprint) is journalled before anything is written, so after a crash
 * at any point both keys that might open the object are on record, and
 * settleRotations() can tell which one does.
 */
export async function rotateObject(ctx: RotateContext, bucket: string, key: string, oldKey: SseCKey, newKey: SseCKey)
  : Promise<RotateResult> {
  const url = formatS3Url({ bucket, key });
  const base = { url, oldFingerprint: oldKey.fingerprint, newFingerprint: newKey.fingerprint };
  if (oldKey.fingerprint === newKey.fingerprint) {
    throw new Sse3Error('USAGE', `${url}: the new key is the key it is already encrypted with (${newKey.fingerprint})`,
      'pass a different key with --to');
  }
  const before = await probe(ctx, bucket, key, oldKey);
  if (!before.opens && before.plain) {
    throw new Sse3Error('NOT_ENCRYPTED', `${url} is not SSE-C encrypted, so there is no key to rotate`,
      `encrypt it with: sse3 cp ${url} ${url} --key REF`);
  }
  if (!before.opens) {
    const after = await probe(ctx, bucket, key, newKey);
    if (after.opens) {
      return { ...base, status: 'already', versionId: after.versionId, olderVersionsWithOldKey: olderWithKey(ctx, bucket, key, oldKey.fingerprint, after.versionId) };
    }
    throw new Sse3Error('WRONG_KEY', `key ${oldKey.fingerprint} does not open ${url}`,
      'pass the key that encrypted it with --from REF (sse3 verify shows which keys open what)');
  }
  const location = { endpoint: ctx.conn.endpoint, bucket, key };
  const recorded = ctx.manifest.lookup(location, before.versionId) ?? ctx.manifest.lookup(location);
  // Multipart objects carry their checksum only in the tag: without it a settled rotation would lose the checksum.
  const sha256 = (recorded?.fingerprint === oldKey.fingerprint && recorded.sha256) || before.sha256
    || await sha256FromTag(ctx.conn, bucket, key, before.versionId, ctx.signal) || '';
  const journalId = ctx.manifest.journalRotation({ ...location, oldVersion: before.versionId, oldFingerprint: oldKey.fingerprint,
    newFingerprint: newKey.fingerprint, size: before.size, sha256 });
  faultPoint('rotate-journalled');

  const copied = await copyObject({
    conn: ctx.conn, manifest: ctx.manifest, serverSide: ctx.serverSide, partSize: ctx.partSize, concurrency: ctx.concurrency,
    signal: ctx.signal, onStart: ctx.onStart, onBytes: ctx.onBytes, onWarning: ctx.onWarning,
    source: { bucket, key, versionId: before.versionId || undefined, sseKey: oldKey, sha256: sha256 || undefined },
    sourceInfo: { size: before.size, versionId: before.versionId || undefined, contentType: before.contentType, encrypted: true,
      sha256: sha256 || undefined },
    dest: { bucket, key, sseKey: newKey },
  }).catch(async (e) => {
    // A failure after the commit (the confirming HEAD, a lost response) leaves the new key in place: the
    // journal must stay pending then, so both keys stay on record until --resume or verify settles it.
    const still = await probe(ctx, bucket, key, oldKey).catch(() => undefined);
    if (still?.opens && still.versionId === before.versionId) ctx.manifest.settleRotation(journalId, 'abandoned');
    throw e;
  });
  faultPoint('rotate-written');

  const confirmed = await probe(ctx, bucket, key, newKey);
  if (!confirmed.opens) {
    throw new Sse3Error('INTEGRITY', `${url}: after rotation the new key ${newKey.fingerprint} does not open the object`,
      'run sse3 rotate --resume to settle it; both keys stay recorded');
  }
  ctx.manifest.settleRotation(journalId, 'done');
  return { ...base, status: 'rotated', versionId: copied.versionId, method: copied.method,
    olderVersionsWithOldKey: olderWithKey(ctx, bucket, key, oldKey.fingerprint, copied.versionId) };
}

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
  const { PutObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  for (const r of ctx.manifest.openRotations(ctx.conn.endpoint)) {
    if (processAlive(r.pid)) continue; // another sse3 is rotating it right now
    results.push(await settleOne(ctx, r, PutObjectTaggingCommand));
  }
  await settleOrphanUploads(ctx.conn, ctx.manifest, ctx.findKey);
  return results;
}

async function settleOne(ctx: RotateContext, r: RotationRecord,
  PutObjectTaggingCommand: typeof import('@aws-sdk/client-s3').PutObjectTaggingCommand): Promise<SettleResult> {
  const url = formatS3Url(r);
  const location = { endpoint: r.endpoint, bucket: r.bucket, key: r.key };
  const base = { url, bucket: r.bucket, key: r.key, oldFingerprint: r.oldFingerprint, newFingerprint: r.newFingerprint,
    journalId: r.id };
  const [newKey, oldKey] = await Promise.all([ctx.findKey(r.newFingerprint), ctx.findKey(r.oldFingerprint)]);
  if (newKey) {
    const p = await probe(ctx, r.bucket, r.key, newKey);
    if (p.opens) {
      if (!ctx.manifest.lookup(location, p.versionId) || ctx.manifest.lookup(location, p.versionId)?.fingerprint !== r.newFingerprint) {
        ctx.manifest.record({ ...location, versionId: p.versionId, fingerprint: r.newFingerprint, size: p.size,
          sha256: r.sha256 || p.sha256 || '', etag: '', createdAt: new Date().toISOString() });
      }
      // A kill between commit and tagging leaves the old fingerprint in the tag.
      const tags = tagsFor(r.newFingerprint, r.sha256 || p.sha256);
      await ctx.conn.client.send(new PutObjectTaggingCommand({ Bucket: r.bucket, Key: r.key, VersionId: p.versionId || undefined,
        Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } })).catch(() => undefined);
      ctx.manifest.settleRotation(r.id, 'done');
      return { ...base, outcome: 'new-key' };
    }
  }
  if (oldKey) {
    const p = await probe(ctx, r.bucket, r.key, oldKey);
    if (p.opens) {
      ctx.manifest.settleRotation(r.id, 'abandoned');
      return { ...base, outcome: 'old-key' };
    }
  }
  const missing = [!newKey && r.newFingerprint, !oldKey && r.oldFingerprint].filter(Boolean);
  return { ...base, outcome: 'unresolved',
    detail: missing.length ? `keys not found here: ${missing.join(', ')}` : 'neither recorded key opens it' };
}
