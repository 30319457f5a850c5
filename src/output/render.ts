import type { AdoptResult, AdoptStatus } from '../core/scans/adopt.js';
import type { CopyResult } from '../core/transfer/copy.js';
import type { HeadReport } from '../core/objects/head.js';
import type { ListedRow } from '../core/objects/listing.js';
import type { RemoveResult, RemoveTarget } from '../core/objects/remove.js';
import type { SyncOutcome, SyncTally } from '../core/sync/plan.js';
import { formatScope, type Scope } from '../core/session/scope.js';
import type { WriteKey } from '../core/session/write-key.js';
import type { SettleResult } from '../core/rotation/settle.js';
import type { GetOutcome } from '../core/transfer/single.js';
import type { UploadResult } from '../core/transfer/upload.js';
import { VERIFY_STATUSES, type VerifyResult, type VerifyStatus } from '../core/objects/verify.js';
import type { RetireCheck } from '../core/rotation/retire.js';
import { formatS3Url } from '../s3/url.js';
import { namesVersion, s3VersionId } from '../s3/version.js';
import type { ListedObject } from '../s3/list.js';
import type { Rendered } from './batch.js';
import { humanBytes, type LineKind, objectIds, type Output } from './output.js';
import { encryptPlainHint, retireAdvice, retireJson } from './render-rotation.js';

/**
 * Every result in its two forms, built by pure functions: the human line(s) and the JSON object. Single
 * commands print them with out.result, batches with out.item.
 */

export const putJson = (r: UploadResult) => ({
  ok: true, url: formatS3Url(r), bucket: r.bucket, key: r.key, versionId: r.versionId || null, size: r.size,
  sha256: r.sha256, etag: r.etag, fingerprint: r.fingerprint, parts: r.parts, endpoint: r.endpoint,
});

export function renderPut(out: Output, r: UploadResult): Rendered<ReturnType<typeof putJson>> {
  return {
    line: `${out.c.green('✓')} put ${formatS3Url(r)}  ${humanBytes(r.size)}  key ${out.c.cyan(r.fingerprint)}` +
      (r.versionId ? `  version ${r.versionId}` : ''),
    json: putJson(r),
    kind: 'done',
  };
}

export const getJson = (r: GetOutcome) => ({
  ok: true, ...objectIds(r.url), path: r.path, size: r.size, sha256: r.sha256, verified: r.checkedAgainst !== 'none',
  checksumSource: r.checkedAgainst, versionId: r.versionId || null, etag: r.etag, encrypted: r.encrypted, fingerprint: r.fingerprint,
  keySource: r.keySource, ...(r.recordUpdated ? { recordUpdated: r.recordUpdated } : {}),
});

export function renderGet(out: Output, r: GetOutcome): Rendered<ReturnType<typeof getJson>> {
  const key = r.fingerprint ? `key ${out.c.cyan(r.fingerprint)}` : out.c.yellow('not encrypted');
  return {
    line: `${out.c.green('✓')} get ${r.url} → ${r.path ?? 'stdout'}  ${humanBytes(r.size)}  ${key}` +
      `  sha256 ${r.checkedAgainst === 'none' ? out.c.yellow('not verified') : out.c.green('verified')}`,
    json: getJson(r),
    kind: 'done',
  };
}

/** cp -r s3 → local: its summary counts the plain objects among those downloaded (each was said as it came). */
export const downloadsSummary = (b: { ok: number; failed: number }, headline: string, plain: number) => ({
  json: { succeeded: b.ok, failed: b.failed, plain },
  line: headline + (plain ? `; ${plain} of them not encrypted (plain objects, downloaded as they are)` : ''),
});

/** sourceVersionId: the version copied (cp --version-id); the line then names the version written too. */
export function renderCopy(out: Output, r: CopyResult, from: string, sourceVersionId?: string)
  : Rendered<ReturnType<typeof putJson> & { source: string; method: string; sourceVersionId?: string }> {
  const version = sourceVersionId === undefined ? '' : `  version ${s3VersionId(sourceVersionId)}`;
  const written = sourceVersionId !== undefined && namesVersion(r.versionId) ? `  new version ${r.versionId}` : '';
  return {
    line: `${out.c.green('✓')} cp ${from}${version} → ${formatS3Url(r)}  ${humanBytes(r.size)}  key ${out.c.cyan(r.fingerprint)}  (${r.method})` +
      written,
    json: { ...putJson(r), source: from, ...(sourceVersionId === undefined ? {} : { sourceVersionId }), method: r.method },
    kind: 'done',
  };
}

/** A batch line for a transfer: from → to and size; the JSON is the single command's. */
export function renderTransferItem(out: Output, from: string, r: Rendered<{ url: string; path?: string | null; size: number }>)
  : Rendered {
  // An upload's line names the file it read, as its failure would (path), beside the object it wrote.
  const json = r.json.path === undefined && !from.startsWith('s3://') ? { ...r.json, path: from } : r.json;
  return { line: `${out.c.green('✓')} ${from} → ${r.json.path ?? r.json.url}  ${humanBytes(r.json.size)}`, json };
}

export function renderHead(out: Output, r: HeadReport): Rendered {
  const c = out.c;
  const encrypted = r.sse.algorithm === 'AES256';
  const m = r.manifest;
  return {
    line: [
      `${c.bold(r.url)}${r.versionId ? `  version ${r.versionId}` : ''}`,
      `  size           ${humanBytes(r.size)} (${r.size} bytes)`,
      `  last modified  ${r.lastModified ?? '-'}`,
      `  etag           ${r.etag || '-'}`,
      `  content type   ${r.contentType ?? '-'}`,
      ...(r.storageClass ? [`  storage class  ${r.storageClass}`] : []),
      ...(r.cacheControl ? [`  cache control  ${r.cacheControl}`] : []),
      ...(r.contentDisposition ? [`  disposition    ${r.contentDisposition}`] : []),
      ...Object.entries(r.metadata).map(([k, v]) => `  meta ${k.padEnd(9)} ${v}`),
      `  encryption     ${encrypted ? c.green('SSE-C AES256') : c.yellow('none (not SSE-C)')}` +
        (r.sse.keyMd5 ? `  key MD5 ${r.sse.keyMd5}` : ''),
      `  key            ${r.key ? `${c.cyan(r.key.fingerprint)} from ${r.key.source}` +
        (r.key.matches === true ? c.green('  ✓ matches') : r.key.matches === false ? c.red('  ✗ does not match') : '') : '-'}`,
      `  manifest       ${m ? `key ${c.cyan(m.fingerprint)}, ${humanBytes(m.size)}, ` +
        `sha256 ${m.sha256 ? `${m.sha256.slice(0, 16)}…` : c.yellow('not recorded')}, written ${m.createdAt}` : c.dim('no record')}`,
    ],
    json: headJson(r),
  };
}

/** head's JSON line: the object named as everywhere (url, bucket, key, versionId), `key` the object's key, not the SSE-C key's. */
export const headJson = (r: HeadReport) => {
  const { key: sseKey, manifest, ...rest } = r;
  return { ...rest, ...objectIds(r.url), versionId: r.versionId || null, fingerprint: sseKey?.fingerprint ?? null,
    keySource: sseKey?.source ?? null, keyFoundBy: sseKey?.foundBy ?? null, keyMatches: sseKey?.matches ?? null,
    sha256: manifest?.sha256 || null, manifest };
};

export function verifyLine(out: Output, r: VerifyResult): string {
  const e = r.entry;
  const status = r.status === 'ok' ? out.c.green('✓ OK') : VERIFY_STATUSES[r.status].exitCode === 0
    ? out.c.yellow(`✓ ${VERIFY_STATUSES[r.status].text}`) : out.c.red(`✗ ${VERIFY_STATUSES[r.status].text}`);
  return `${status}  ${formatS3Url(e)}${namesVersion(e.versionId) ? ` (version ${e.versionId})` : ''}  key ${out.c.cyan(e.fingerprint)}` +
    (r.detail ? `: ${r.detail}` : '');
}

export const verifyJson = (r: VerifyResult) => ({ ok: VERIFY_STATUSES[r.status].exitCode === 0, ...objectIds(formatS3Url(r.entry)),
  versionId: r.entry.versionId || null, fingerprint: r.entry.fingerprint, status: r.status, ...(r.detail ? { detail: r.detail } : {}) });

/** verify's closing summary: the counts by status, the line, and the failure when any entry is not OK. */
export function verifySummary(counts: Record<VerifyStatus, number>, checked: number, deep: boolean) {
  const bad = checked - counts.ok - counts['stale-fixed'] - counts.overwritten;
  return {
    json: { deep, checked, counts },
    line: `${checked} object version(s) checked${deep ? ' (deep)' : ''}: ${counts.ok} OK, ` +
      `${counts['stale-fixed'] ? `${counts['stale-fixed']} stale record(s) fixed, ` : ''}` +
      `${counts.overwritten ? `${counts.overwritten} overwritten outside sse3 (record updated), ` : ''}${bad} not OK`,
    failure: `${bad} of ${checked} object version(s) are not OK`,
    hint: 'see the list above',
  };
}

const SYNC_REASONS = { new: 'new', size: 'size differs', content: 'content differs', unrecorded: 'no sse3 record' } as const;

export const syncJson = (o: SyncOutcome) => ({
  ok: true, action: o.action, ...(o.side ? { side: o.side } : {}), ...(o.source ? { source: o.source } : o.path ? { path: o.path } : {}),
  ...objectIds(o.url),
  reason: o.reason ?? null,
  size: o.size, dryRun: o.dryRun,
  ...(o.upload ? { sha256: o.upload.sha256, fingerprint: o.upload.fingerprint, versionId: o.upload.versionId || null } : {}),
  ...(o.download ? { sha256: o.download.sha256, fingerprint: o.download.fingerprint, verified: o.download.checkedAgainst !== 'none',
    encrypted: o.download.encrypted, versionId: o.download.versionId || null } : {}),
});

/** A sync's line for one path it acted on (or would act on, in a dry run); nothing for a file found unchanged. */
export function renderSync(out: Output, o: SyncOutcome): Rendered | undefined {
  if (o.action === 'unchanged') return undefined;
  const mark = o.dryRun ? out.c.dim('·') : out.c.green('✓');
  const verb = o.dryRun ? `would ${o.action}` : o.action;
  const what = o.action === 'upload' ? `${o.path} → ${o.url}` : o.action === 'download' ? `${o.url} → ${o.path}`
    : o.action === 'copy' ? `${o.source} → ${o.url}` : o.side === 'remote' ? o.url : o.path;
  const why = o.reason ? `  (${SYNC_REASONS[o.reason]})` : '';
  const size = o.action === 'delete' ? '' : `  ${humanBytes(o.size)}`;
  const verified = (o.download && !o.download.encrypted ? `  ${out.c.yellow('not encrypted')}` : '') +
    (o.download?.checkedAgainst === 'none' ? `  ${out.c.yellow('sha256 not verified')}` : '');
  // A dry run's lines are what was asked for (the plan): results, kept by -q.
  return { line: `${mark} ${verb} ${what}${size}${why}${verified}`, json: syncJson(o), kind: o.dryRun ? 'result' : 'done' };
}

/** What a sync did (or would do, in a dry run), counted by action as results come in. */
export type SyncDone = Record<SyncOutcome['action'], number> & { bytes: number };

/** A sync's closing summary, as the batch report takes it. */
export function syncSummary(r: { copy: boolean; down?: boolean; dryRun: boolean; done: SyncDone; tally: SyncTally; succeeded: number;
  failed: number })
  : { json: Record<string, unknown>; line: string } {
  const { done, tally } = r;
  // plain: of the downloads (s3 → local), those of objects that were not encrypted.
  const json = { succeeded: r.succeeded, uploaded: done.upload, downloaded: done.download, ...(r.copy ? { copied: done.copy } : {}),
    deleted: done.delete, unchanged: tally.unchanged + done.unchanged, failed: r.failed, bytes: done.bytes,
    skipped: tally.skipped + tally.notDeleted, ...(r.down ? { plain: tally.plain } : {}), dryRun: r.dryRun };
  const moved = r.copy ? `${done.copy} copied` : `${json.uploaded} uploaded, ${json.downloaded} downloaded`;
  const plain = tally.plain ? ` (${tally.plain} of them not encrypted)` : '';
  const kept = tally.notDeleted ? `; ${tally.notDeleted} only in the destination, kept (--delete removes them)` : '';
  return { json, line: `${r.dryRun ? 'dry run, nothing changed: would have ' : ''}${moved}${plain}, ${json.deleted} deleted, ` +
    `${json.unchanged} unchanged, ${json.failed} failed, ${humanBytes(json.bytes)}${kept}` };
}

/** Plain objects a sync downloaded: nothing records them, so they are downloaded again each time, unless encrypted. */
export const plainDownloadsWarning = (n: number, scope: Scope) =>
  `${n} object(s) were not encrypted (plain): downloaded as they are, unverified, and again by every sync, since sse3 keeps ` +
  `no record of plain objects; ${encryptPlainHint(formatScope(scope))}`;

/** Objects a sync compared without any sse3 record: treated as changed, and how to record them once. */
export const unrecordedWarning = (n: number, scope: Scope) =>
  `${n} object(s) had no sse3 record (not in the manifest, no sse3-sha256 tag) and were treated as changed; ` +
  `record existing objects once with: sse3 adopt --hash ${formatScope(scope)}`;

/**
 * A sync up left objects under another key than the one it writes them with: they are unchanged, and said to be so,
 * with how to re-key them — to the key given (rotate --to it), or each to its folder's default (rotate without --to).
 */
export function otherKeysWarning(byFingerprint: Record<string, number>, scope: Scope, writing: WriteKey[]): string | undefined {
  const entries = Object.entries(byFingerprint);
  if (entries.length === 0) return undefined;
  const total = entries.reduce((n, [, count]) => n + count, 0);
  const keys = entries.map(([fp, count]) => (entries.length > 1 ? `${fp} (${count})` : fp)).join(', ');
  const rotate = `sse3 rotate ${formatScope(scope)} -r`;
  if (writing.some((k) => k.defaultOf)) {
    return `${total} unchanged object(s) are under key ${keys}, not the default key of their folder ` +
      `(${writing.map((k) => `${k.ref} for ${k.defaultOf}`).join(', ')}); sync does not re-key unchanged objects — ${rotate} does`;
  }
  return `${total} unchanged object(s) are under key ${keys}, not the key given (${writing[0]!.ref}); sync does not re-key ` +
    `unchanged objects — ${rotate} --to ${writing[0]!.ref} does`;
}

export const adoptJson = (r: AdoptResult) => ({ ok: r.status !== 'no-key', url: r.url, bucket: r.bucket, key: r.key,
  versionId: r.versionId || null, status: r.status, fingerprint: r.fingerprint, via: r.via, keyRef: r.keyRef, sha256: r.sha256,
  hashed: r.hashed, tagged: r.tagged, tried: r.tried, ...(r.warning ? { warning: r.warning } : {}) });

/** One adopt result: what sse3 now knows about the object version. */
export function renderAdopted(out: Output, r: AdoptResult, candidates: number): Rendered {
  const c = out.c;
  const what = `${r.url}${namesVersion(r.versionId) ? `  version ${r.versionId}` : ''}`;
  const key = r.fingerprint ? `key ${c.cyan(r.fingerprint)}` : '';
  const line = {
    'adopted': `${c.green('✓')} adopted  ${what}  ${key}${r.via === 'tag' ? ' (from its sse3-fp tag)' : ''}` +
      (r.hashed ? '  sha256 recorded' : ''),
    'known': `${c.dim('=')} known    ${what}  ${key}${r.hashed ? '  sha256 recorded' : ''}`,
    'plain': `${c.yellow('-')} plain    ${what}  not SSE-C encrypted`,
    'encrypted': `${c.green('✓')} encrypted ${what}  ${key} (was plain)`,
    'no-key': `${c.red('✗')} no key   ${what}: none of the ${candidates} candidate key(s) opens it`,
  }[r.status];
  return { line: r.warning ? [line, `  ${c.yellow('warning:')} ${r.warning}`] : line, json: adoptJson(r),
    kind: r.status === 'no-key' ? 'failure' : 'done' };
}

/** adopt's closing summary: what it found, and, when some versions opened with no candidate, what to do about it. */
export function adoptSummary(counts: Record<AdoptStatus, number>,
  r: { scope: Scope; succeeded: number; failed: number; hashed: boolean; candidates: number }) {
  const unverified = r.hashed ? 0 : counts.adopted;
  return {
    json: { succeeded: r.succeeded, adopted: counts.adopted, known: counts.known, plain: counts.plain, noKey: counts['no-key'], failed: r.failed,
      encrypted: counts.encrypted, unverified },
    line: [`${formatScope(r.scope)}: ${counts.adopted} adopted, ${counts.known} already known, ${counts.plain} plain` +
      (counts.encrypted ? `, ${counts.encrypted} encrypted` : '') + `, ${counts['no-key']} without a key here, ${r.failed} failed`,
    ...(unverified ? [`the integrity of the ${unverified} adopted object version(s) is unverified until` +
        ' sse3 adopt --hash or sse3 verify --deep records their SHA-256'] : [])],
    failure: [counts['no-key'] && `${counts['no-key']} SSE-C object version(s) opened with none of the ${r.candidates} candidate key(s)`,
      r.failed && `${r.failed} object version(s) failed`].filter(Boolean).join('; '),
    hint: counts['no-key'] && !r.failed ? 'bring their keys in with sse3 keys import REF --from FILE (or pass --key REF) and run adopt again'
      : undefined,
  };
}

/** An interrupted encryption of a plain object (adopt --encrypt-plain) settled before adopt went on. */
export const renderEncryptionSettled = (r: SettleResult): { line: string; kind: LineKind } =>
  ({ line: `settled interrupted encryption of ${r.url}: ${r.outcome}`, kind: r.outcome === 'unresolved' ? 'failure' : 'note' });

/** Local time as aws s3 ls shows it: YYYY-MM-DD HH:MM:SS. */
function lsDate(iso: string | null): string {
  if (!iso) return ''.padEnd(19);
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One ls line: date, size, encryption, fingerprint, whether its key is here, name (and version). */
export function renderListedRow(out: Output, r: ListedRow, name: string, opts: { versions: boolean; humanReadable?: boolean }): Rendered {
  const { versions } = opts;
  const c = out.c;
  const enc = r.encryption === 'sse-c' ? c.green('sse-c') : r.encryption === 'none' ? c.yellow('none ') : c.dim('?    ');
  const key = r.keyAvailable === true ? c.green('key here   ') : r.keyAvailable === false ? c.red('key missing') : c.dim('-          ');
  const version = versions ? `  ${s3VersionId(r.versionId)}${r.isLatest ? ' (latest)' : ''}` : '';
  return {
    line: `${lsDate(r.lastModified)} ${(opts.humanReadable ? humanBytes(r.size) : String(r.size)).padStart(10)}  ${enc}  ${(r.fingerprint ?? '-').padEnd(20)}  ${key}  ${name}${version}`,
    json: { type: 'object', ...objectIds(formatS3Url(r)), size: r.size, lastModified: r.lastModified,
      ...(versions ? { versionId: r.versionId || null, isLatest: r.isLatest } : {}), encryption: r.encryption,
      fingerprint: r.fingerprint, keyAvailable: r.keyAvailable, fingerprintSource: r.source },
  };
}

/** ls --summarize: the totals, as aws s3 ls prints them after the rows. */
export const lsTotals = (t: { objects: number; bytes: number }, humanReadable?: boolean): string[] =>
  ['', `Total Objects: ${t.objects}`, `   Total Size: ${humanReadable ? humanBytes(t.bytes) : t.bytes}`];

export const renderListedPrefix = (bucket: string, prefix: string, name: string): Rendered =>
  ({ line: `${''.padEnd(30)} PRE ${name}`, json: { type: 'prefix', bucket, prefix } });

/** ls --versions: a delete marker (the object was deleted there; its versions remain), marked as one. */
export function renderDeleteMarker(out: Output, bucket: string, m: ListedObject, name: string): Rendered {
  const what = 'delete marker'.padEnd(5 + 2 + 20 + 2 + 11);
  return {
    line: `${lsDate(m.lastModified?.toISOString() ?? null)} ${''.padStart(10)}  ${out.c.yellow(what)}  ${name}  ${s3VersionId(m.versionId)}` +
      `${m.isLatest ? ' (latest)' : ''}`,
    json: { type: 'deleteMarker', ...objectIds(formatS3Url({ bucket, key: m.key })), lastModified: m.lastModified?.toISOString() ?? null, versionId: m.versionId || null,
      isLatest: m.isLatest },
  };
}

export const renderBucket = (name: string, created: Date | undefined): Rendered =>
  ({ line: `${lsDate(created?.toISOString() ?? null)} ${name}`, json: { type: 'bucket', bucket: name, created: created?.toISOString() ?? null } });

export function renderRemoved(out: Output, r: RemoveResult): Rendered {
  const version = r.versionId ? `  version ${r.versionId}` : '';
  return {
    line: `${out.c.green('✓')} deleted ${r.url}${version}${r.deleteMarker ? ' (delete marker)' : ''}` +
      (r.markerCreated ? `: versioning is on, so a delete marker hides it; its versions remain (sse3 rm --all-versions removes them)` : ''),
    json: { ok: true, ...objectIds(r.url), versionId: r.versionId || null, deleteMarker: r.deleteMarker,
      markerCreated: r.markerCreated, forgotten: r.forgotten },
  };
}

/** rm --dry-run: one object version that would be deleted. */
export const renderWouldDelete = (t: RemoveTarget): Rendered => ({
  line: `(dry run) would delete ${formatS3Url(t)}${namesVersion(t.versionId) ? `  version ${t.versionId}` : ''}`,
  json: { ok: true, dryRun: true, ...objectIds(formatS3Url(t)), versionId: t.versionId || null },
});

/** rm --noncurrent --fingerprint: versions kept because their key could not be told (JSON `kept`). */
export interface KeptVersions { unknownKey: number; unreadable: number }

/** rm --dry-run's closing summary: its JSON and its line. */
export const wouldDeleteSummary = (n: number, kept?: KeptVersions) =>
  ({ json: { ok: true, dryRun: true, wouldDelete: n, ...(kept ? { kept } : {}) }, line: `dry run: ${n} object version(s) would be deleted; nothing was` });

/** rm's closing summary, with what to say about retiring the keys no recorded object needs any more. */
export const removedSummary = (sum: { ok: number; failed: number }, retire: RetireCheck[], kept?: KeptVersions) => ({
  json: { succeeded: sum.ok, failed: sum.failed, ...(kept ? { kept } : {}), ...retireJson(retire) },
  line: [`${sum.ok} deleted, ${sum.failed} failed`, ...retire.map(retireAdvice)],
});

/**
 * rm --noncurrent --fingerprint FP: what it kept and why, said before anything is deleted. `adoptScope`: where sse3 adopt
 * would record the versions whose key is unknown.
 */
export function keptNoncurrentLines(kept: KeptVersions & { firstUnreadable?: Error }, fingerprint: string, adoptScope: string): string[] {
  const lines: string[] = [];
  if (kept.unknownKey) {
    lines.push(`${kept.unknownKey} noncurrent version(s) have no sse3-fp tag and no record here, so whether they need key ${fingerprint} is ` +
      `unknown: kept (record them with sse3 adopt ${adoptScope} --key REF, then run this again)`);
  }
  if (kept.unreadable) {
    lines.push(`${kept.unreadable} noncurrent version(s) were kept: their tags could not be read` +
      (kept.firstUnreadable ? ` (${kept.firstUnreadable.message})` : ''));
  }
  return lines;
}
