import { ExitCode, Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import { adoptVersion, type AdoptResult, type AdoptStatus, type Candidate, CandidateKeys } from '../core/scans/adopt.js';
import { rotateContext } from '../core/rotation/targets.js';
import { checkNamedObject, holdsListed, listScopeVersions, nothingAt, parseScope, resolveScope } from '../core/session/scope.js';
import { settleRotations } from '../core/rotation/settle.js';
import { openSession } from '../core/session/session.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { formatS3Url } from '../s3/url.js';
import { reportBatch } from '../output/batch.js';
import { objectIds } from '../output/output.js';
import { adoptSummary, renderEncryptionSettled, renderAdopted } from '../output/render.js';
import { formatShard, type Shard } from '../core/shard.js';

export interface AdoptOptions {
  key?: string[];
  hash?: boolean;
  encryptPlain?: boolean;
  jobs: number;
  /** --shard I/N: the versions of this worker's shard only (core/shard.ts). */
  shard?: Shard;
}

/** sse3 adopt s3://BUCKET[/PREFIX]: find the key of every object version sse3 does not know yet, record and tag it. */
export async function adopt(scopeUrl: string, opts: AdoptOptions, { g, out, signal }: CommandRun): Promise<void> {
  // A URL that is not one is refused before the first request.
  parseScope(scopeUrl);
  if (opts.shard) out.carry({ shard: formatShard(opts.shard) });
  if (opts.encryptPlain && !opts.key?.length) {
    throw new Sse3Error('USAGE', '--encrypt-plain needs the key to encrypt with: --key REF', 'the first --key encrypts plain objects');
  }
  // Every given key is loaded before the first request: a bad ref stops the run with nothing written.
  const given: Candidate[] = [];
  for (const ref of opts.key ?? []) given.push({ ref, key: await loadKey(parseKeyRef(ref)) });
  const s = await openSession(g, { signal, out });
  try {
    const scope = { ...await resolveScope(scopeUrl, holdsListed(s)), shard: opts.shard };
    const elsewhere = await checkNamedObject(scope, holdsListed(s), () => nothingAt(scope, 'on the server: nothing to adopt'));
    if (elsewhere) out.info(elsewhere);
    for (const r of await settleRotations(rotateContext(s))) out.tell(renderEncryptionSettled(r));
    const found = await s.allKeys();
    for (const p of s.keyProblems()) out.warn(p);
    const candidates = new CandidateKeys([...given, ...found]);
    if (!candidates.size) {
      out.warn('no candidate keys: SSE-C objects cannot be opened; pass --key REF, or bring keys in with sse3 keys import');
    }
    const counts: Record<AdoptStatus, number> = { 'adopted': 0, 'known': 0, 'plain': 0, 'encrypted': 0, 'no-key': 0 };
    const ctx = { io: s, candidates, hash: Boolean(opts.hash), findKey: s.findKey,
      encryptPlain: opts.encryptPlain ? { ...given[0], rotation: rotateContext(s) } : undefined };
    const items = (async function* () {
      for await (const v of listScopeVersions(s, scope)) {
        yield { label: formatS3Url({ bucket: scope.bucket, key: v.key }) + (v.versionId ? ` (version ${v.versionId})` : ''),
          ids: { ...objectIds(formatS3Url({ bucket: scope.bucket, key: v.key })), versionId: v.versionId },
          run: async (events: Parameters<typeof adoptVersion>[0]['events']) => {
            const r = await adoptVersion({ ...ctx, events }, scope.bucket, v);
            counts[r.status]++;
            return r;
          } };
      }
    })();
    await reportBatch<AdoptResult>(out, items, {
      jobs: opts.jobs, signal, render: (r) => renderAdopted(out, r, candidates.size),
      resultExitCode: (r) => (r.status === 'no-key' ? ExitCode.KEY : ExitCode.OK),
      summary: (sum) => adoptSummary(counts,
        { scope, succeeded: sum.ok, failed: sum.failed - counts['no-key'], hashed: Boolean(opts.hash), candidates: candidates.size }),
    });
  } finally {
    s.close();
  }
}
