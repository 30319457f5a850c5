import { ExitCode, Sse3Error } from '../errors.js';
import { isFingerprint } from '../keys/key.js';
import type { CommandRun } from '../options.js';
import { checkNamedObject, formatScope, holdsListed, nothingAt, parseScope, resolveScope, type Scope } from '../core/session/scope.js';
import { openSession } from '../core/session/session.js';
import { scanKeyUsage } from '../core/scans/usage.js';
import { renderKeyNeededBy, renderKeyUsage } from '../output/render-keys.js';
import { withStatus } from '../output/spinner.js';
import { formatShard, type Shard } from '../core/shard.js';

export interface KeysUsageOptions {
  versions?: boolean;
  jobs: number;
  /** --shard I/N: the objects of this worker's shard only; its count is never kept as a whole bucket's scan. */
  shard?: Shard;
}

/** sse3 keys usage [FP] s3://BUCKET[/PREFIX]...: which keys the objects in scope need, from their sse3-fp tags. */
export async function keysUsage(args: string[], opts: KeysUsageOptions, { g, out, signal }: CommandRun): Promise<void> {
  const words = [...args];
  const fingerprint = words[0] !== undefined && !words[0].startsWith('s3://') ? words.shift() : undefined;
  if (fingerprint !== undefined && !isFingerprint(fingerprint)) {
    // A long word may be a key typed in the wrong place: it is not echoed.
    throw new Sse3Error('USAGE', 'the first argument is neither a key fingerprint (20 hex digits) nor an s3:// URL',
      'see fingerprints with: sse3 keys list; keys are never taken from the command line');
  }
  const bad = words.find((w) => !w.startsWith('s3://'));
  if (bad !== undefined || !words.length) {
    throw new Sse3Error('USAGE', bad !== undefined ? 'only the first argument may be a fingerprint; the others are s3://BUCKET[/PREFIX]'
      : 'say which buckets to scan: sse3 keys usage [FP] s3://BUCKET[/PREFIX]...', 'e.g. sse3 keys usage s3://backups s3://archive');
  }
  // A URL that is not one is refused before the first request.
  words.forEach(parseScope);
  if (opts.shard) out.carry({ shard: formatShard(opts.shard) });
  const s = await openSession(g, { signal, out });
  try {
    const scopes: Scope[] = [];
    for (const word of words) scopes.push({ ...await resolveScope(word, holdsListed(s)), shard: opts.shard });
    for (const scope of scopes) {
      const elsewhere = await checkNamedObject(scope, holdsListed(s), () => nothingAt(scope, 'on the server: no key to count'));
      if (elsewhere) out.info(elsewhere);
    }
    const here = new Set([...(await s.allKeys()).map((k) => k.key.fingerprint), ...s.givenKeys.map((k) => k.fingerprint)]);
    const scan = await withStatus(out, `scanning ${scopes.map(formatScope).join(' ')}`, (update, print) =>
      scanKeyUsage(s, scopes, { allVersions: Boolean(opts.versions), jobs: opts.jobs,
        onProgress: (n) => update(`scanning ${scopes.map(formatScope).join(' ')}: ${n} object version(s) read`),
        onVersion: fingerprint === undefined ? undefined : (v) => {
          if (v.fingerprint !== fingerprint) return;
          const r = renderKeyNeededBy(v, fingerprint);
          print(() => out.item(r.line, r.json));
        } }));
    const report = renderKeyUsage(out, scan, here, fingerprint);
    // With FP the objects were listed as items (NDJSON with --json): the count closes the list.
    if (fingerprint !== undefined) out.summary({ ...report.json, ok: report.json.ok === true }, report.line);
    else out.show(report);
    if (scan.unreadable.versions) {
      throw new Sse3Error('ACCESS_DENIED', `the tags of ${scan.unreadable.versions} object version(s) could not be read, so this count is ` +
        `incomplete: ${scan.firstUnreadable?.message ?? ''}`, 'these credentials need s3:GetObjectTagging on every object scanned',
      { exitCode: ExitCode.FAILED });
    }
  } finally {
    s.close();
  }
}

