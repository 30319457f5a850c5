import { formatS3Url } from '../../s3/url.js';
import { Sse3Error } from '../../errors.js';
import type { Io, TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { copyObject, type CopyResult, firstPart, mayCopyServerSide, type OpenedSource } from '../transfer/copy.js';
import { faultPoint } from '../../faults.js';
import { headWithKey, judgeKey } from '../keyed.js';
import { mtimeFromMetadata, readSse3Tags, sse3Values } from '../tags.js';
import { headWithoutKey } from '../objects/keyless.js';
import { processAlive } from '../runtime/process.js';

export interface RotateContext {
  io: Io;
  tuning?: Tuning;
  events?: TransferEvents;
  /** Finds a key sse3 knows by fingerprint (keychain, key folder, SSE3_KEY). */
  findKey: (fingerprint: string) => Promise<SseCKey | undefined>;
}

export interface RotateResult {
  url: string;
  /** plain: not encrypted, so not rotated (oldFingerprint is PLAIN_FINGERPRINT); adopt --encrypt-plain encrypts it. */
  status: 'rotated' | 'already' | 'plain';
  oldFingerprint: string;
  newFingerprint: string;
  versionId: string;
  method?: CopyResult['method'];
  /** Older versions of this object the manifest still records under the old key. */
  olderVersionsWithOldKey: number;
}

/** Whether a key opens the current version of an object; `opened` when a GET of its first part told (its body unread). */
export type Probe = { opens: true; versionId: string; sha256?: string; size: number; contentType?: string; mtimeMs?: number;
    opened?: OpenedSource }
  | { opens: false; plain?: boolean };

/** A keyed HEAD (headWithKey): does this key open the current version of the object? */
export async function probe(ctx: RotateContext, bucket: string, key: string, sseKey: SseCKey): Promise<Probe> {
  const r = await headWithKey(ctx.io, { bucket, key }, sseKey, { op: 'rotate' });
  if (r.verdict === 'missing') throw r.error;
  if (r.verdict !== 'opens') return { opens: false, plain: r.verdict === 'plain' };
  const o = r.answer;
  const { sha256 } = sse3Values(o.metadata, { bucket, key, versionId: o.versionId }, 'metadata');
  return { opens: true, versionId: o.versionId ?? '', sha256, size: o.size, contentType: o.contentType, mtimeMs: mtimeFromMetadata(o.metadata) };
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
  return { opens: true, versionId: o.versionId ?? '', sha256: o.sha256, size: o.size, contentType: o.contentType,
    mtimeMs: mtimeFromMetadata(o.first.Metadata), opened: o };
}

const olderWithKey = (ctx: RotateContext, bucket: string, key: string, fingerprint: string, current: string) =>
  ctx.io.manifest.versions({ endpoint: ctx.io.conn.endpoint, bucket, key })
    .filter((v) => v.fingerprint === fingerprint && v.versionId !== current && v.versionId !== '').length;

/**
 * Rotations of this object that an earlier, killed sse3 journalled and never wrote (the object was still the same
 * version under the same old key when this rotation read it) are finished by this one: close them.
 */
function closeReplaced(ctx: RotateContext, location: { endpoint: string; bucket: string; key: string }, except: number,
  oldFingerprint: string, newFingerprint: string, oldVersion: string): void {
  for (const r of ctx.io.manifest.openRotations(location.endpoint)) {
    if (r.id === except || r.bucket !== location.bucket || r.key !== location.key || processAlive(r.pid)) continue;
    if (r.oldFingerprint !== oldFingerprint || r.oldVersion !== oldVersion) continue;
    ctx.io.manifest.settleRotation(r.id, r.newFingerprint === newFingerprint ? 'done' : 'abandoned');
  }
}

/**
 * Re-encrypt one object in place under a new key. The intent (object, old and
 * new fingerprint) is journalled before anything is written, so after a crash
 * at any point both keys that might open the object are on record, and
 * settleRotations() can tell which one does.
 */
export async function rotateObject(ctx: RotateContext, bucket: string, key: string, oldKey: SseCKey, newKey: SseCKey)
  : Promise<RotateResult> {
  const base = { url: formatS3Url({ bucket, key }), oldFingerprint: oldKey.fingerprint, newFingerprint: newKey.fingerprint };
  // Where the server may copy SSE-C objects server-side, a HEAD tells what to journal and CopyObject re-keys the
  // object without its bytes passing through sse3. Elsewhere (Ceph RGW) the GET that starts the streamed copy
  // tells the same: two requests for a small object, GET and PUT.
  const before = mayCopyServerSide(ctx.io, ctx.tuning) ? await probe(ctx, bucket, key, oldKey) : await openWith(ctx, bucket, key, oldKey);
  if (!before.opens || oldKey.fingerprint === newKey.fingerprint) return notRotated(ctx, { bucket, key }, before, newKey, base);
  const location = { endpoint: ctx.io.conn.endpoint, bucket, key };
  const journal = await journalRotation(ctx, location, before, oldKey, newKey);
  faultPoint('rotate-journalled');
  const copied = await rekey(ctx, location, before, journal, oldKey, newKey);
  faultPoint('rotate-written');
  // The write's answer confirmed it: the PUT's or CopyObject's echo of the new key's MD5, or after a multipart
  // upload a HEAD with the new key (core/transfer/upload.ts). A write it did not confirm was removed and threw above.
  ctx.io.manifest.settleRotation(journal.id, 'done');
  closeReplaced(ctx, location, journal.id, oldKey.fingerprint, newKey.fingerprint, before.versionId);
  return { ...base, status: 'rotated', versionId: copied.versionId, method: copied.method,
    olderVersionsWithOldKey: olderWithKey(ctx, bucket, key, oldKey.fingerprint, copied.versionId) };
}

type Opened = Extract<Probe, { opens: true }>;
type ResultBase = Pick<RotateResult, 'url' | 'oldFingerprint' | 'newFingerprint'>;

/**
 * Nothing to write. Already under the target key — the old key is the new one, or (a rerun after a rotation that
 * went through) the new key opens it: that is fine. Not encrypted, or opened by neither key: an error.
 */
async function notRotated(ctx: RotateContext, obj: { bucket: string; key: string }, before: Probe, newKey: SseCKey, base: ResultBase)
  : Promise<RotateResult> {
  const { url } = base;
  if (before.opens) {
    before.opened?.first.Body.destroy();
    return { ...base, status: 'already', versionId: before.versionId, olderVersionsWithOldKey: 0 };
  }
  if (before.plain) return plainResult(url, newKey);
  const after = await probe(ctx, obj.bucket, obj.key, newKey);
  if (after.opens) {
    return { ...base, status: 'already', versionId: after.versionId,
      olderVersionsWithOldKey: olderWithKey(ctx, obj.bucket, obj.key, base.oldFingerprint, after.versionId) };
  }
  throw new Sse3Error('WRONG_KEY', `key ${base.oldFingerprint} does not open ${url}`,
    'pass the key that encrypted it with --from REF (sse3 verify shows which keys open what)');
}

interface Journalled {
  id: number;
  /** The plaintext SHA-256 recorded for the object ('' when none is). */
  sha256: string;
  mtimeMs?: number;
}

/** Journal the rotation before anything is written, with what the rotated version must keep: checksum and mtime. */
async function journalRotation(ctx: RotateContext, location: { endpoint: string; bucket: string; key: string }, before: Opened,
  oldKey: SseCKey, newKey: SseCKey): Promise<Journalled> {
  const { manifest } = ctx.io;
  const recorded = manifest.lookup(location, before.versionId) ?? manifest.lookup(location);
  try {
    // Multipart objects carry their checksum only in the tag: without it a settled rotation would lose the checksum.
    const sha256 = (recorded?.fingerprint === oldKey.fingerprint && recorded.sha256) || before.sha256
      || (await readSse3Tags(ctx.io, { ...location, versionId: before.versionId }, { what: 'SHA-256', op: 'rotate' })).sha256 || '';
    const id = manifest.journalRotation({ ...location, oldVersion: before.versionId, oldFingerprint: oldKey.fingerprint,
      newFingerprint: newKey.fingerprint, size: before.size, sha256 });
    return { id, sha256, mtimeMs: before.mtimeMs ?? recorded?.mtimeMs ?? undefined };
  } catch (e) {
    before.opened?.first.Body.destroy();
    throw e;
  }
}

/**
 * Copy the object onto itself under the new key. A failure after the commit (the confirming HEAD, a lost response)
 * leaves the new key in place: the journal stays pending then, so both keys stay on record until --resume or verify
 * settles it. A failure that left the old version as it was abandons the journal entry.
 */
async function rekey(ctx: RotateContext, obj: { bucket: string; key: string }, before: Opened, journal: Journalled,
  oldKey: SseCKey, newKey: SseCKey): Promise<CopyResult> {
  const { bucket, key } = obj;
  const sha256 = journal.sha256 || undefined;
  return copyObject({
    io: ctx.io, tuning: ctx.tuning, events: ctx.events,
    source: { bucket, key, versionId: before.versionId || undefined, sseKey: oldKey, sha256 },
    sourceInfo: { size: before.size, versionId: before.versionId || undefined, contentType: before.contentType, encrypted: true,
      sha256, mtimeMs: journal.mtimeMs },
    opened: before.opened && { ...before.opened, sha256 },
    dest: { bucket, key, sseKey: newKey },
  }).catch(async (e) => {
    const still = await probe(ctx, bucket, key, oldKey).catch(() => undefined);
    if (still?.opens && still.versionId === before.versionId) ctx.io.manifest.settleRotation(journal.id, 'abandoned');
    throw e;
  });
}


/** The old fingerprint journalled for an object that was not encrypted at all. */
export const PLAIN_FINGERPRINT = '';

/** A plain object has no key to rotate from: a state, not an error; it is left as it is. */
export const plainResult = (url: string, newKey: SseCKey): RotateResult =>
  ({ url, status: 'plain', oldFingerprint: PLAIN_FINGERPRINT, newFingerprint: newKey.fingerprint, versionId: '', olderVersionsWithOldKey: 0 });

/**
 * Encrypt a plain object in place under a key: a rotation from "no key". Journalled the same way, so a crash leaves
 * the object either plain or opening with the recorded new key, and settleRotations() tells which.
 */
export async function encryptPlainObject(ctx: RotateContext, bucket: string, key: string, newKey: SseCKey): Promise<RotateResult> {
  const url = formatS3Url({ bucket, key });
  const before = await headWithoutKey(ctx.io, { bucket, key });
  if (before.state !== 'plain') {
    throw new Sse3Error('S3', `${url} is SSE-C encrypted now, not plain`, 'run sse3 adopt again to find its key');
  }
  const { manifest } = ctx.io;
  const location = { endpoint: ctx.io.conn.endpoint, bucket, key };
  const journalId = manifest.journalRotation({ ...location, oldVersion: before.versionId, oldFingerprint: PLAIN_FINGERPRINT,
    newFingerprint: newKey.fingerprint, size: before.size, sha256: '' });
  faultPoint('rotate-journalled');
  const copied = await copyObject({
    io: ctx.io, tuning: ctx.tuning, events: ctx.events,
    source: { bucket, key, versionId: before.versionId || undefined },
    sourceInfo: { size: before.size, versionId: before.versionId || undefined, contentType: before.contentType, encrypted: false },
    dest: { bucket, key, sseKey: newKey },
  }).catch(async (e) => {
    const still = await headWithoutKey(ctx.io, { bucket, key }).catch(() => undefined);
    if (still?.state === 'plain' && still.versionId === before.versionId && still.etag === before.etag) {
      manifest.settleRotation(journalId, 'abandoned');
    }
    throw e;
  });
  faultPoint('rotate-written');
  const confirmed = await probe(ctx, bucket, key, newKey);
  if (!confirmed.opens) {
    throw new Sse3Error('INTEGRITY', `${url}: after encrypting, key ${newKey.fingerprint} does not open the object`,
      'run sse3 rotate --resume to settle it');
  }
  manifest.settleRotation(journalId, 'done');
  return { url, status: 'rotated', oldFingerprint: PLAIN_FINGERPRINT, newFingerprint: newKey.fingerprint, versionId: copied.versionId,
    method: copied.method, olderVersionsWithOldKey: 0 };
}
