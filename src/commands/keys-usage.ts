import { ExitCode, Sse3Error } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import { formatScope, parseScope } from '../core/session/scope.js';
import { openSession } from '../core/session/session.js';
import { type KeyUse, scanKeyUsage, usesOf } from '../core/scans/usage.js';
import { formatS3Url } from '../s3/url.js';
import type { Output } from '../output/output.js';
import { withStatus } from '../output/spinner.js';

export interface KeysUsageOptions {
  versions?: boolean;
  jobs: number;
}

const FINGERPRINT = /^[0-9a-f]{20}$/;
const counted = (u: KeyUse, versions: boolean) => (versions ? `${u.objects} object(s), ${u.versions} version(s)` : `${u.objects} object(s)`);

/** sse3 keys usage [FP] s3://BUCKET[/PREFIX]...: which keys the objects in scope need, from their sse3-fp tags. */
export async function keysUsage(args: string[], opts: KeysUsageOptions, g: GlobalOptions, out: Output, signal: AbortSignal): Promise<void> {
  const words = [...args];
  const fingerprint = words[0] !== undefined && !words[0].startsWith('s3://') ? words.shift() : undefined;
  if (fingerprint !== undefined && !FINGERPRINT.test(fingerprint)) {
    // A long word may be a key typed in the wrong place: it is not echoed.
    throw new Sse3Error('USAGE', 'the first argument is neither a key fingerprint (20 hex digits) nor an s3:// URL',
      'see fingerprints with: sse3 keys list; keys are never taken from the command line');
  }
  const bad = words.find((w) => !w.startsWith('s3://'));
  if (bad !== undefined || !words.length) {
    throw new Sse3Error('USAGE', bad !== undefined ? 'only the first argument may be a fingerprint; the others are s3://BUCKET[/PREFIX]'
      : 'say which buckets to scan: sse3 keys usage [FP] s3://BUCKET[/PREFIX]...', 'e.g. sse3 keys usage s3://backups s3://archive');
  }
  const scopes = words.map(parseScope);
  const all = Boolean(opts.versions);
  const s = await openSession(g, signal);
  try {
    const here = new Set([...(await s.allKeys()).map((k) => k.key.fingerprint), ...s.givenKeys.map((k) => k.fingerprint)]);
    const scan = await withStatus(out, `scanning ${scopes.map(formatScope).join(' ')}`, (update, print) =>
      scanKeyUsage(s, scopes, { allVersions: all, jobs: opts.jobs,
        onProgress: (n) => update(`scanning ${scopes.map(formatScope).join(' ')}: ${n} object version(s) read`),
        onVersion: fingerprint === undefined ? undefined : (v) => {
          if (v.fingerprint !== fingerprint) return;
          const url = formatS3Url(v);
          print(() => out.item(`${url}${v.versionId ? `  version ${v.versionId}${v.isLatest ? ' (current)' : ''}` : ''}`,
            { url, bucket: v.bucket, key: v.key, versionId: v.versionId || null, isLatest: v.isLatest, size: v.size, fingerprint }));
        } }));
    const keys = [...scan.byFingerprint].sort((a, b) => b[1].versions - a[1].versions || a[0].localeCompare(b[0]))
      .map(([fp, u]) => ({ fingerprint: fp, objects: u.objects, versions: u.versions, availableHere: here.has(fp) }));
    const report = { ok: scan.unreadable.versions === 0, scopes: scopes.map(formatScope), versions: all, scanned: scan.scanned, keys,
      untagged: scan.untagged, unreadable: scan.unreadable,
      ...(fingerprint !== undefined ? { fingerprint, needed: usesOf(scan, fingerprint), availableHere: here.has(fingerprint) } : {}) };
    const lines = fingerprint !== undefined ? [usageOfOne(fingerprint, usesOf(scan, fingerprint), all, here.has(fingerprint))]
      : keys.map((k) => `${out.c.cyan(k.fingerprint)}  ${counted(k, all)}  ${k.availableHere ? 'key available here' : out.c.yellow('key NOT available here')}`);
    lines.push(`${scan.scanned} object version(s) read in ${report.scopes.join(' ')}`);
    if (scan.untagged.versions) lines.push(`${counted(scan.untagged, all)} with no sse3-fp tag: their key is unknown (adopt them first: sse3 adopt s3://BUCKET --key REF)`);
    if (scan.unreadable.versions) lines.push(`${counted(scan.unreadable, all)} whose tags could not be read: they may need any key`);
    if (fingerprint !== undefined) out.summary(report, lines.join('\n'));
    else out.result(lines, report);
    if (scan.unreadable.versions) {
      throw new Sse3Error('ACCESS_DENIED', `the tags of ${scan.unreadable.versions} object version(s) could not be read, so this count is ` +
        `incomplete: ${scan.firstUnreadable?.message ?? ''}`, 'these credentials need s3:GetObjectTagging on every object scanned',
      { exitCode: ExitCode.FAILED });
    }
  } finally {
    s.close();
  }
}

function usageOfOne(fp: string, u: KeyUse, all: boolean, available: boolean): string {
  const where = available ? '' : ' (the key is NOT available here)';
  if (u.versions === 0) {
    return `no ${all ? 'object version' : 'current object'} in these scopes needs key ${fp}${where}` +
      (all ? '' : '; older versions may: add --versions');
  }
  return `key ${fp} is needed by ${counted(u, all)}${where}`;
}
