import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import { rebuildFromTags } from '../core/scans/rebuild.js';
import { pullFromTags } from '../core/scans/pull.js';
import { checkNamedObject, holdsListed, holdsRecorded, nothingAt, parseScope, resolveScope } from '../core/session/scope.js';
import { openSession } from '../core/session/session.js';
import { formatShard, type Shard } from '../core/shard.js';
import { deniedWarning, movedAsideWarning, pullRemovedLine, renderPulled, renderRebuilt } from '../output/render-manifest.js';

/** Objects that may be sse3's but whose tags could not be read are not "done": the exit status says so. */
function notRecorded(denied: number, firstDenial: Sse3Error): Sse3Error {
  return new Sse3Error('BATCH', `${denied} object version(s) could not be recorded`, firstDenial.hint ?? 'the warning above says why');
}

/** sse3 manifest rebuild s3://BUCKET[/PREFIX]: recover entries from the sse3-fp tags of the objects. */
export async function rebuild(scopeUrl: string, opts: { shard?: Shard }, { g, out, signal }: CommandRun): Promise<void> {
  // A URL that is not one is refused before the session may move a damaged manifest aside.
  parseScope(scopeUrl);
  if (opts.shard) out.carry({ shard: formatShard(opts.shard) });
  const s = await openSession(g, { signal, out }, { replaceDamaged: true });
  try {
    const scope = { ...await resolveScope(scopeUrl, holdsListed(s)), shard: opts.shard };
    const elsewhere = await checkNamedObject(scope, holdsListed(s), () => nothingAt(scope, 'on the server: nothing to rebuild from'));
    if (elsewhere) out.info(elsewhere);
    if (s.movedAside) out.warn(movedAsideWarning(s.movedAside));
    const counts = await rebuildFromTags(s, scope);
    if (counts.firstDenial) out.warn(deniedWarning(counts.denied, counts.firstDenial));
    out.show(renderRebuilt(out, scope, counts, s.movedAside));
    if (counts.firstDenial) throw notRecorded(counts.denied, counts.firstDenial);
  } finally {
    s.close();
  }
}

/** sse3 manifest pull s3://BUCKET[/PREFIX]: the incremental rebuild (tags read only for new or changed versions). */
export async function pull(scopeUrl: string, opts: { jobs: number; shard?: Shard }, { g, out, signal }: CommandRun): Promise<void> {
  // A URL that is not one is refused before the first request.
  parseScope(scopeUrl);
  if (opts.shard) out.carry({ shard: formatShard(opts.shard) });
  const s = await openSession(g, { signal, out });
  try {
    const scope = { ...await resolveScope(scopeUrl, holdsListed(s)), shard: opts.shard };
    // An object named that is neither on the server nor recorded: nothing to pull. One recorded but gone is pulled (its records go).
    const elsewhere = await checkNamedObject(scope, async (o) => await holdsListed(s)(o) || holdsRecorded(s)(o),
      () => nothingAt(scope, 'on the server or in the manifest'));
    if (elsewhere) out.info(elsewhere);
    const c = await pullFromTags(s, scope, opts);
    for (const r of c.removed) out.info(pullRemovedLine(r));
    if (c.firstDenial) out.warn(deniedWarning(c.denied, c.firstDenial));
    out.show(renderPulled(out, scope, c));
    if (c.firstDenial) throw notRecorded(c.denied, c.firstDenial);
  } finally {
    s.close();
  }
}
