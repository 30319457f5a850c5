import { Sse3Error } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import { runBatch } from '../core/batch.js';
import { rotateContext } from '../core/rotation.js';
import { assertBucketExists, formatScope, manifestInScope, parseScope } from '../core/scope.js';
import { settleRotations } from '../core/settle.js';
import { loadGivenKeys, openSession } from '../core/session.js';
import { VERIFY_STATUSES, verifyEntry, type VerifyResult, type VerifyStatus } from '../core/verify.js';
import { formatS3Url } from '../s3/url.js';
import type { Output } from '../output/output.js';
import { settledLine, verifyJson, verifyLine } from '../output/render.js';

export interface VerifyOptions {
  deep?: boolean;
  /** --key, repeatable: keys to try for the entries recorded under their fingerprints. */
  key?: string[];
  jobs: number;
}

export async function verify(scopeUrl: string | undefined, opts: VerifyOptions, g: GlobalOptions, out: Output, signal: AbortSignal)
  : Promise<void> {
  const scope = scopeUrl ? parseScope(scopeUrl) : undefined;
  const s = await openSession(g, signal, { keys: await loadGivenKeys(opts.key) });
  try {
    for (const r of await settleRotations(rotateContext(s))) out.info(settledLine(out, r));
    const results: VerifyResult[] = [];
    const summary = await runBatch(manifestInScope(s, scope), (e) => verifyEntry(s, e, Boolean(opts.deep)),
      (o) => results.push(o.error ? { entry: o.item, status: 'error', detail: o.error.message } : o.result!),
      { jobs: opts.jobs, signal, resultExitCode: (r) => VERIFY_STATUSES[r.status].exitCode });
    if (!results.length) {
      // Nothing recorded here: say so (an empty folder is fine; a bucket that does not exist is an error).
      if (scope) await assertBucketExists(s, scope);
      out.result(`nothing recorded under ${scope ? formatScope(scope) : 'any bucket'} on ${s.conn.endpoint}: nothing to verify`,
        { ok: true, deep: Boolean(opts.deep), counts: Object.fromEntries(Object.keys(VERIFY_STATUSES).map((k) => [k, 0])), objects: [] });
      return;
    }
    results.sort((a, b) => formatS3Url(a.entry).localeCompare(formatS3Url(b.entry)));
    const counts = Object.fromEntries(Object.keys(VERIFY_STATUSES).map((k) => [k, results.filter((r) => r.status === k).length])) as
      Record<VerifyStatus, number>;
    const bad = results.length - counts.ok - counts['stale-fixed'];
    const lines = results.map((r) => verifyLine(out, r));
    lines.push(`${results.length} object version(s) checked${opts.deep ? ' (deep)' : ''}: ${counts.ok} OK, ` +
      `${counts['stale-fixed'] ? `${counts['stale-fixed']} stale record(s) fixed, ` : ''}${bad} not OK`);
    const failure = bad ? new Sse3Error('BATCH', `${bad} of ${results.length} object version(s) are not OK`, 'see the list above',
      { exitCode: summary.exitCode }) : undefined;
    out.result(lines, { ok: !failure, deep: Boolean(opts.deep), counts, objects: results.map(verifyJson),
      ...(failure && { error: { code: failure.code, message: failure.message, hint: failure.hint, exitCode: failure.exitCode } }) });
    if (failure) throw failure;
  } finally {
    s.close();
  }
}
