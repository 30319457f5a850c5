import { Writable } from 'node:stream';
import { ExitCode, Sse3Error } from '../../errors.js';
import type { ManifestEntry } from '../../manifest/store.js';
import { downloadObject } from '../transfer/download.js';
import type { Session } from '../session/session.js';
import { headWithKey } from '../keyed.js';
import { recordSha256 } from '../scans/adopt.js';
import { HEALED_NOTE, healFromTag, recordFound, seenByHead } from '../session/heal.js';
import { searchKey } from '../session/search.js';
import { folderScopeOf } from '../../s3/url.js';

export type VerifyStatus = 'ok' | 'stale-fixed' | 'overwritten' | 'key-unavailable' | 'wrong-key' | 'missing' | 'not-encrypted' | 'corrupt'
  | 'error';

/**
 * 'overwritten': the recorded key no longer opens the object, no sse3 tag says why, and another key sse3 has does — it
 * was written outside sse3 since. The record is replaced by the object as it is now (the content recorded before is
 * not there to check): a record brought up to date, as 'stale-fixed' is, and said as such.
 */
export const VERIFY_STATUSES: Record<VerifyStatus, { text: string; exitCode: ExitCode }> = {
  'ok': { text: 'OK', exitCode: ExitCode.OK },
  'stale-fixed': { text: 'stale record, fixed', exitCode: ExitCode.OK },
  'overwritten': { text: 'overwritten outside sse3, record updated', exitCode: ExitCode.OK },
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
  if (!healed?.entry) return reopened(s, e, deep, r);
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
  if (!key) {
    // Why sse3 could not look everywhere (a locked keychain…) is the likely reason; said on the entry's line.
    const problems = s.keyProblems();
    const seen = s.lastSeen(e.fingerprint);
    if (seen) problems.unshift(`last seen at ${seen.ref}: ${seen.why}`);
    return { entry: e, status: 'key-unavailable', ...(problems.length ? { detail: `could not use: ${problems.join('; ')}` } : {}) };
  }
  const head = await headWithKey(s, e, key, { op: 'head', expectedFingerprint: e.fingerprint });
  if (head.verdict !== 'opens') return { entry: e, status: HEAD_STATUS[head.verdict] };
  s.keyUsed(key);
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

/**
 * The recorded key is refused and the tag does not explain it: the keys sse3 can find are tried (searchKey). One that
 * opens it means the object was written outside sse3 since; its record is replaced (recordFound). With deep, it is
 * downloaded: the very content recorded before is a re-key ('stale-fixed'), other content is 'overwritten' with its
 * SHA-256 recorded. None opens it: the refusal stands, saying so.
 */
async function reopened(s: Session, e: ManifestEntry, deep: boolean, refused: VerifyResult): Promise<VerifyResult> {
  const loc = { bucket: e.bucket, key: e.key };
  const { match, candidates } = await searchKey(s, { ...loc, versionId: e.versionId || undefined }, [e.fingerprint]);
  if (match === 'plain') return { entry: e, status: 'not-encrypted' };
  if (!match) {
    return { ...refused, detail: `none of the other ${Math.max(candidates - 1, 0)} key(s) sse3 can find opens it either: it was ` +
      `written outside sse3 under a key that is not here (pass it with --key REF, or bring it in and run sse3 adopt ${folderScopeOf(loc)})` };
  }
  const found = { key: match.key, fingerprint: match.key.fingerprint, foundBy: 'search' as const, replaced: e };
  let seen = seenByHead(loc, match.opened);
  if (deep) {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    let r;
    try {
      r = await downloadObject({ io: s, object: { ...loc, versionId: e.versionId || undefined }, sseKey: match.key,
        target: { kind: 'stream', stream: sink } });
    } catch (err) {
      // Its own sse3 checksum does not match: nothing is recorded from it.
      if (err instanceof Sse3Error && err.code === 'INTEGRITY') return { entry: e, status: 'corrupt', detail: err.message };
      throw err;
    }
    seen = { ...seen, size: r.size, sha256: r.sha256, downloaded: { verified: r.checkedAgainst !== 'none' } };
  }
  const { entry, sameAsRecorded } = recordFound(s, loc, found, seen);
  const moved = `key ${e.fingerprint} → ${match.key.fingerprint}`;
  if (sameAsRecorded) return { entry: entry!, status: 'stale-fixed', detail: `re-keyed outside sse3 (${moved}); the content is the one recorded` };
  return { entry: entry!, status: 'overwritten', detail: `written outside sse3 (${moved}): the record now describes it` +
    (deep ? '; its SHA-256 recorded' : '; its content is not checked (verify --deep records its SHA-256)') };
}
