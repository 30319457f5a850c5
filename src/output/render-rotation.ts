import type { RetireCheck } from '../core/rotation/retire.js';
import type { RotateResult } from '../core/rotation/rotate.js';
import type { ResumeReport, SettleResult } from '../core/rotation/settle.js';
import { folderScopeOf, parseS3Url } from '../s3/url.js';
import type { Rendered } from './batch.js';
import { type LineKind, objectIds, type Output } from './output.js';

// rotate's results in their two forms (see render.ts): one rotation, the interrupted ones settled, the summary, and
// what to say about retiring the old key — rm's summary says the same.

/** The command that shows which objects in these buckets need a key. */
const usageCommand = (fp: string, buckets: string[]) =>
  `sse3 keys usage ${fp} ${buckets.length ? buckets.map((b) => `s3://${b}`).join(' ') : 's3://BUCKET'} --versions`;

/** What to say about retiring a key no object recorded here needs: never "retire it" on this manifest's word alone. */
export function retireAdvice(c: RetireCheck): string {
  const fp = c.fingerprint;
  const sc = c.scan;
  if (!sc) return `no object recorded here needs key ${fp}; before retiring it, check every bucket that may use it: ${usageCommand(fp, c.buckets)}`;
  if (sc.versions > 0) {
    return `no object recorded here needs key ${fp}, but ${sc.versions} object version(s) in ${sc.scope} still do (their tags say so): ` +
      `keep the key; see them with: ${usageCommand(fp, c.buckets)}`;
  }
  const unknown = sc.untagged + sc.unreadable;
  if (unknown > 0) {
    return `no object in ${sc.scope} is tagged with key ${fp}, but ${unknown} version(s) there have no readable sse3-fp tag, so ` +
      `their key is unknown: adopt them first (sse3 adopt ${sc.scope} --key REF), then check again`;
  }
  return `no object in ${sc.scope} needs key ${fp} any more (${sc.scanned} object version(s) checked by their tags); other buckets ` +
    `may still use it: check them with sse3 keys usage ${fp} s3://OTHER-BUCKET before retiring it (then: sse3 keys rm REF)`;
}

/** The JSON form of retirement checks: retirableFingerprints holds only keys a whole-bucket scan found unused. */
export const retireJson = (checks: RetireCheck[]) => ({
  retirableFingerprints: checks.filter((c) => c.retirable).map((c) => c.fingerprint),
  retirement: checks.map((c) => ({ fingerprint: c.fingerprint, recordedHere: 0, scan: c.scan ?? null, retirable: c.retirable,
    check: usageCommand(c.fingerprint, c.buckets) })),
});

/** How to encrypt plain objects in place, which rotate leaves as they are. */
export const encryptPlainHint = (scope: string, one = false) => `encrypt ${one ? 'it' : 'them'} with: sse3 adopt ${scope} --encrypt-plain --key REF`;

/** How older versions stop needing a key: rm --noncurrent deletes them (rotation re-encrypts current versions only). */
const deleteOlderHint = (scope: string, fingerprint: string, recursive: boolean) =>
  `delete them with: sse3 rm ${scope}${recursive ? ' --recursive' : ''} --noncurrent --fingerprint ${fingerprint} (copy out one to keep ` +
  'first: sse3 cp URL --version-id V DEST)';

const olderStillNeed = (r: RotateResult) => `${r.olderVersionsWithOldKey} older version(s) still need key ${r.oldFingerprint}; ` +
  deleteOlderHint(r.url, r.oldFingerprint, false);

/** retire: given for a single rotation (its JSON then lists retirableFingerprints, possibly empty). */
export function renderRotated(out: Output, r: RotateResult, retire?: RetireCheck[]): Rendered {
  if (r.status === 'plain') {
    const line = `${out.c.yellow('-')} ${r.url}: not encrypted (a plain object), nothing to rotate`;
    return { line: retire ? [line, `  ${encryptPlainHint(folderScopeOf(parseS3Url(r.url)), true)}`] : line, kind: 'note',
      json: { ok: true, ...objectIds(r.url), ...r, oldFingerprint: null, versionId: null, ...(retire ? retireJson(retire) : {}) } };
  }
  if (r.status === 'deleted') {
    const lines = [`${out.c.yellow('-')} ${r.url}: deleted (its current version is a delete marker), nothing to rotate`];
    if (r.olderVersionsWithOldKey > 0) lines.push(`  ${olderStillNeed(r)}`);
    for (const c of retire ?? []) lines.push(`  ${retireAdvice(c)}`);
    return { line: lines, kind: 'note', json: { ok: true, ...objectIds(r.url), ...r, versionId: null, ...(retire ? retireJson(retire) : {}) } };
  }
  const lines = [r.status === 'already'
    ? `${out.c.green('✓')} ${r.url} already rotated, skipped: it opens with key ${out.c.cyan(r.newFingerprint)}`
    : `${out.c.green('✓')} rotated ${r.url}  ${out.c.cyan(r.oldFingerprint)} → ${out.c.cyan(r.newFingerprint)}  (${r.method})` +
      (r.versionId ? `  new version ${r.versionId}` : '')];
  if (r.olderVersionsWithOldKey > 0) lines.push(`  ${olderStillNeed(r)}`);
  for (const c of retire ?? []) lines.push(`  ${retireAdvice(c)}`);
  return { line: lines, kind: 'done', json: { ok: true, ...objectIds(r.url), ...r, versionId: r.versionId || null, ...(retire ? retireJson(retire) : {}) } };
}

/** An interrupted rotation settled on the way (`how` given: by rotate --resume, see resumedLine); unresolved is a failure. */
export function renderSettled(out: Output, r: SettleResult, how?: 'redone' | 'unresolved' | 'settled'): { line: string; kind: LineKind } {
  const unresolved = how === undefined ? r.outcome === 'unresolved' : how === 'unresolved';
  return { line: how ? resumedLine(out, r, how) : settledLine(out, r), kind: unresolved ? 'failure' : 'note' };
}

function settledLine(out: Output, r: SettleResult): string {
  const c = out.c;
  switch (r.outcome) {
    case 'new-key': return `${c.green('✓')} ${r.url}: interrupted rotation finished: opens with the new key`;
    case 'old-key': return `${c.yellow('…')} ${r.url}: interrupted rotation not written yet: still opens with the old key; ${r.needs.length
      ? `needs key ${r.needs.join(', ')} to finish (sse3 rotate --resume --key REF)` : 'sse3 rotate --resume finishes it'}`;
    case 'superseded': return `${c.green('✓')} ${r.url}: interrupted rotation superseded, nothing left to do: ${r.detail}`;
    case 'not-written': return `${c.yellow('…')} ${r.url}: interrupted encryption was not written, nothing is pending: ${r.detail}`;
    default: return `${c.red('✗')} ${r.url}: interrupted rotation unresolved: ${r.detail}`;
  }
}

/**
 * What rotate --resume did with a rotation it found interrupted. One it redid was found not written (settledLine's
 * "sse3 rotate --resume finishes it") and then finished by this very run; one left unresolved says what it needs.
 */
function resumedLine(out: Output, r: SettleResult, how: 'redone' | 'unresolved' | 'settled'): string {
  const c = out.c;
  if (how === 'redone') return `${c.green('✓')} ${r.url}: interrupted rotation finished: re-encrypted under key ${c.cyan(r.newFingerprint)}`;
  if (how === 'settled') return settledLine(out, r);
  const why = r.detail ?? (r.needs.length ? `sse3 cannot find key ${r.needs.join(', ')}` : 'it could not be settled');
  return `${c.red('✗')} ${r.url}: interrupted rotation unresolved: ${why}`;
}

/** rotate --resume: what became of the interrupted rotations, and the keys those left unresolved need. */
export function renderResumed(out: Output, report: ResumeReport): Rendered & { needs: string[] } {
  const needs = [...new Set(report.unresolved.flatMap((r) => r.needs))];
  return {
    needs,
    line: `${report.settled.length} interrupted rotation(s) settled, ${report.redone.length} redone, ${report.unresolved.length} unresolved`,
    kind: 'note',
    json: { ok: report.unresolved.length === 0, settled: report.settled, redone: report.redone.map((r) => renderRotated(out, r).json),
      unresolved: report.unresolved, needs },
  };
}

/**
 * A batch rotation's summary: rotated (or already under the new key), failed, and plain objects left as they were (not
 * counted as ok: nothing was rotated), with how to encrypt those. With --fingerprint (older), how many older versions
 * still need the key (rotation moves current versions only).
 */
export function rotateSummary(b: { ok: number; failed: number }, headline: string, r: { plain: number; deleted: number; scope?: string;
  older?: { fingerprint: string; versions: number; objects: number } }) {
  const ok = b.ok - r.plain - r.deleted;
  const line = b.ok + b.failed === 0 ? headline : `${ok} ok, ${b.failed} failed` + (r.plain
    ? `, ${r.plain} not encrypted (plain objects, left as they are): ${encryptPlainHint(r.scope ?? 's3://BUCKET[/PREFIX]')}` : '') +
    (r.deleted ? `, ${r.deleted} deleted (delete markers, skipped)` : '');
  return {
    json: { succeeded: ok, failed: b.failed, plain: r.plain, deleted: r.deleted, ...(r.older ? { olderVersionsWithOldKey: r.older.versions } : {}) },
    line: [line, ...(r.older?.versions ? [`${r.older.versions} older version(s) of ${r.older.objects} object(s) ` +
      `still need key ${r.older.fingerprint} (rotation re-encrypts current versions only); ` +
      deleteOlderHint(r.scope ?? 's3://BUCKET', r.older.fingerprint, true)] : [])],
  };
}

