import { type ExitCode, exitCodeOf, Sse3Error, worstExitCode } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import { mapInOrder, SMALL_OBJECT_JOBS } from '../core/runtime/batch.js';
import { rotateContext } from '../core/rotation/targets.js';
import { assertBucketExists, formatScope, manifestInScope, parseScope } from '../core/session/scope.js';
import { settleRotations } from '../core/rotation/settle.js';
import { loadGivenKeys, openSession } from '../core/session/session.js';
import { VERIFY_STATUSES, verifyEntry, type VerifyResult, type VerifyStatus } from '../core/objects/verify.js';
import type { ManifestEntry } from '../manifest/store.js';
import type { Output } from '../output/output.js';
import { settledLine, verifyJson, verifyLine } from '../output/render.js';

export interface VerifyOptions {
  deep?: boolean;
  /** --key, repeatable: keys to try for the entries recorded under their fingerprints. */
  key?: string[];
  jobs: number;
  /** Checks in flight without --deep (each is one HEAD): default SMALL_OBJECT_JOBS, --jobs when given. */
  smallJobs?: number;
}

export async function verify(scopeUrl: string | undefined, opts: VerifyOptions, g: GlobalOptions, out: Output, signal: AbortSignal)
  : Promise<void> {
  const scope = scopeUrl ? parseScope(scopeUrl) : undefined;
  const deep = Boolean(opts.deep);
  const s = await openSession(g, signal, { keys: await loadGivenKeys(opts.key) });
  try {
    for (const r of await settleRotations(rotateContext(s))) out.info(settledLine(out, r));
    const counts = Object.fromEntries(Object.keys(VERIFY_STATUSES).map((k) => [k, 0])) as Record<VerifyStatus, number>;
    const entries = manifestInScope(s, scope)[Symbol.iterator]();
    const first = entries.next();
    if (first.done) {
      // Nothing recorded here: say so (an empty folder is fine; a bucket that does not exist is an error).
      if (scope) await assertBucketExists(s, scope);
      out.result(`nothing recorded under ${scope ? formatScope(scope) : 'any bucket'} on ${s.conn.endpoint}: nothing to verify`,
        { ok: true, deep, counts, objects: [] });
      return;
    }
    // Entries stream from the manifest a page at a time and results come out in the manifest's order (S3's key
    // order), at most --jobs checks in flight: memory stays flat however many versions are recorded.
    const source = (function* (): Generator<ManifestEntry> {
      for (let next: IteratorResult<ManifestEntry> = first; !next.done && !signal.aborted; next = entries.next()) yield next.value;
    })();
    const doc = out.json ? out.streamDocument({ deep }, 'objects') : undefined;
    let checked = 0;
    let exitCode: ExitCode = 0;
    const check = (e: ManifestEntry) => verifyEntry(s, e, deep).then((result) => ({ result, code: VERIFY_STATUSES[result.status].exitCode }),
      (err: Error) => ({ result: { entry: e, status: 'error', detail: err.message } as VerifyResult, code: exitCodeOf(err) }));
    for await (const { result, code } of mapInOrder(source, deep ? opts.jobs : opts.smallJobs ?? SMALL_OBJECT_JOBS, check)) {
      checked++;
      counts[result.status]++;
      exitCode = worstExitCode([exitCode, code]);
      if (doc) doc.item(verifyJson(result));
      else out.result(verifyLine(out, result), null);
    }
    const bad = checked - counts.ok - counts['stale-fixed'];
    const failure = bad ? new Sse3Error('BATCH', `${bad} of ${checked} object version(s) are not OK`, 'see the list above',
      { exitCode }) : undefined;
    const error = failure && { error: { code: failure.code, message: failure.message, hint: failure.hint, exitCode: failure.exitCode } };
    if (doc) doc.close({ counts, ok: !failure, ...error });
    else {
      out.result(`${checked} object version(s) checked${deep ? ' (deep)' : ''}: ${counts.ok} OK, ` +
        `${counts['stale-fixed'] ? `${counts['stale-fixed']} stale record(s) fixed, ` : ''}${bad} not OK`, null);
    }
    if (failure) throw failure;
  } finally {
    s.close();
  }
}
