import { type ExitCode, exitCodeOf } from '../errors.js';
import type { CommandRun } from '../options.js';
import { SMALL_OBJECT_JOBS } from '../core/runtime/batch.js';
import { rotateContext } from '../core/rotation/targets.js';
import { adoptHint, assertBucketExists, checkNamedObject, formatScope, holdsRecorded, manifestInScope, nothingAt, parseScope,
  resolveScope } from '../core/session/scope.js';
import { settleRotations } from '../core/rotation/settle.js';
import { loadGivenKeys, openSession } from '../core/session/session.js';
import { VERIFY_STATUSES, verifyEntry, type VerifyResult, type VerifyStatus } from '../core/objects/verify.js';
import type { ManifestEntry } from '../manifest/store.js';
import { formatS3Url } from '../s3/url.js';
import { type BatchItem, reportBatch } from '../output/batch.js';
import { objectIds } from '../output/output.js';
import { verifyJson, verifyLine, verifySummary } from '../output/render.js';
import { renderSettled } from '../output/render-rotation.js';
import { formatShard, type Shard } from '../core/shard.js';

export interface VerifyOptions {
  deep?: boolean;
  /** --key, repeatable: keys to try for the entries recorded under their fingerprints. */
  key?: string[];
  jobs: number;
  /** Checks in flight without --deep (each is one HEAD): default SMALL_OBJECT_JOBS, --jobs when given. */
  smallJobs?: number;
  /** --shard I/N: the entries of this worker's shard only (core/shard.ts). */
  shard?: Shard;
}

/** One entry checked: its result, and the exit status it calls for (a check that could not be made is an `error` result). */
interface Checked {
  result: VerifyResult;
  code: ExitCode;
}

export async function verify(scopeUrl: string | undefined, opts: VerifyOptions, { g, out, signal }: CommandRun): Promise<void> {
  const deep = Boolean(opts.deep);
  // A URL that is not one is refused before the first request.
  if (scopeUrl) parseScope(scopeUrl);
  if (opts.shard) out.carry({ shard: formatShard(opts.shard) });
  const s = await openSession(g, { signal, out }, { keys: await loadGivenKeys(opts.key) });
  try {
    const scope = scopeUrl ? { ...await resolveScope(scopeUrl, holdsRecorded(s)), shard: opts.shard } : undefined;
    for (const r of await settleRotations(rotateContext(s))) out.tell(renderSettled(out, r));
    const counts = Object.fromEntries(Object.keys(VERIFY_STATUSES).map((k) => [k, 0])) as Record<VerifyStatus, number>;
    const entries = manifestInScope(s, scope, { shard: opts.shard })[Symbol.iterator]();
    const first = entries.next();
    if (first.done) {
      // Nothing recorded here: say so (an empty folder is fine; a bucket that does not exist or an object named is an error).
      if (scope) await assertBucketExists(s, scope);
      // Nothing recorded of an object named: missing, unless it is another worker's shard (then nothing to do here).
      const elsewhere = scope && await checkNamedObject(scope, () => false,
        () => nothingAt(scope, `recorded on ${s.conn.endpoint}: nothing to verify`, adoptHint(scope)));
      const nothing = elsewhere || `nothing recorded under ${scope ? formatScope(scope) : 'any bucket'} on ${s.conn.endpoint}: nothing to verify`;
      out.summary({ ok: true, deep, checked: 0, counts }, nothing);
      return;
    }
    const check = (e: ManifestEntry): BatchItem<Checked> => ({ label: formatS3Url(e),
      ids: { ...objectIds(formatS3Url(e)), versionId: e.versionId, fingerprint: e.fingerprint }, run: async () => {
      const checked = await verifyEntry(s, e, deep).then((result) => ({ result, code: VERIFY_STATUSES[result.status].exitCode }),
        (err: Error) => ({ result: { entry: e, status: 'error', detail: err.message } as VerifyResult, code: exitCodeOf(err) }));
      counts[checked.result.status]++;
      return checked;
    } });
    // Entries stream from the manifest a page at a time and results come out in the manifest's order (S3's key
    // order), at most --jobs checks in flight: memory stays flat however many versions are recorded.
    const items = (async function* () {
      for (let next: IteratorResult<ManifestEntry> = first; !next.done; next = entries.next()) yield check(next.value);
    })();
    await reportBatch<Checked>(out, items, {
      jobs: deep ? opts.jobs : opts.smallJobs ?? SMALL_OBJECT_JOBS, signal, ordered: true, bars: false,
      render: ({ result }) => ({ line: verifyLine(out, result), json: verifyJson(result) }),
      resultExitCode: ({ code }) => code,
      summary: (sum) => verifySummary(counts, sum.ok + sum.failed, deep),
    });
  } finally {
    s.close();
  }
}
