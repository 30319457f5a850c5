import { Writable } from 'node:stream';
import { ExitCode, Sse3Error } from '../../errors.js';
import type { ManifestEntry } from '../../manifest/store.js';
import { downloadObject } from '../transfer/download.js';
import type { Session } from '../session/session.js';
import { headWithKey } from '../keyed.js';
import { recordSha256 } from '../scans/adopt.js';
import { HEALED_NOTE, healFromTag } from '../session/heal.js';

export type VerifyStatus = 'ok' | 'stale-fixed' | 'key-unavailable' | 'wrong-key' | 'missing' | 'not-encrypted' | 'corrupt' | 'error';

export const VERIFY_STATUSES: Record<VerifyStatus, { text: string; exitCode: ExitCode }> = {
  'ok': { text: 'OK', exitCode: ExitCode.OK },
  'stale-fixed': { text: 'stale record, fixed', exitCode: ExitCode.OK },
  'key-unavailable': { text: 'key not available here', exitCode: ExitCode.KEY },
  'wrong-key': { text: 'key does not open it', exitCode: ExitCode.KEY },
  'missing': { text: 'object missing', exitCode: ExitCode.FAILED },
  'not-encrypted': { text: 'not encrypted', exitCode: ExitCode.INTEGRITY },
  'corrupt': { text: 'SHA-256 mismatch', exitCode: ExitCode.INTEGRITY },
  'error': { text: 'error', exitCode: ExitCode.FAILED },
};

export interface VerifyResult {
  entry: ManifestEntry;
  status: VerifyStatus;
  detail?: string;
}

/**
 * Check one manifest entry against the server: does the recorded key open it, and (deep) does the plaintext
 * still match its recorded SHA-256. Problems with the object are statuses; a server that cannot be asked throws.
 */
export async function verifyEntry(s: Session, e: ManifestEntry, deep: boolean): Promise<VerifyResult> {
  const r = await verifyRecorded(s, e, deep);
  if (r.status !== 'wrong-key') return r;
  // Re-keyed elsewhere (a teammate rotated it)? The object's tag says; a corrected record is then checked again.
  let healed;
  try {
    healed = await healFromTag(s, { bucket: e.bucket, key: e.key }, { entry: e, fingerprint: e.fingerprint, foundBy: 'manifest' },
      { versionId: e.versionId || undefined, op: 'head' });
  } catch (err) {
    if (err instanceof Sse3Error && err.code === 'NO_KEY') return { entry: e, status: 'key-unavailable', detail: err.message };
    // Other content than recorded behind the tag's key: the record is kept, and the entry is not what it records.
    if (err instanceof Sse3Error && (err.code === 'INTEGRITY' || err.code === 'NOT_ENCRYPTED')) {
      return { entry: e, status: 'corrupt', detail: err.message };
    }
    throw err;
  }
  if (!healed?.entry) return r;
  const again = await verifyRecorded(s, healed.entry, deep);
  if (again.status !== 'ok') return again;
  // Corrected only once the entry checked out under the tag's key.
  s.manifest.record(again.entry);
  return { entry: again.entry, status: 'stale-fixed', detail: `${HEALED_NOTE} (key ${e.fingerprint} → ${healed.fingerprint})` };
}

/** What a keyed HEAD that does not open the recorded version says of it. */
const HEAD_STATUS = { 'refused': 'wrong-key', 'other-key': 'wrong-key', 'plain': 'not-encrypted', 'missing': 'missing' } as const;

async function verifyRecorded(s: Session, e: ManifestEntry, deep: boolean): Promise<VerifyResult> {
  const key = await s.findKey(e.fingerprint);
  if (!key) return { entry: e, status: 'key-unavailable' };
  const head = await headWithKey(s, e, key, { op: 'head', expectedFingerprint: e.fingerprint });
  if (head.verdict !== 'opens') return { entry: e, status: HEAD_STATUS[head.verdict] };
  if (!deep) return { entry: e, status: 'ok' };
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    const r = await downloadObject({ io: s, object: { bucket: e.bucket, key: e.key, versionId: e.versionId || undefined }, sseKey: key,
      expected: { sha256: e.sha256 || undefined }, target: { kind: 'stream', stream: sink } });
    if (e.sha256) return { entry: e, status: 'ok' };
    // An adopted object had no SHA-256 on record: from now on downloads are checked against this one.
    await recordSha256(s, e, r.sha256);
    return { entry: { ...e, sha256: r.sha256 }, status: 'ok', detail: 'SHA-256 recorded' };
  } catch (err) {
    if (err instanceof Sse3Error && err.code === 'INTEGRITY') return { entry: e, status: 'corrupt', detail: err.message };
    throw err;
  }
}
