import { Sse3Error } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import { headWithoutKey } from '../core/objects/head.js';
import { keysNoLongerNeeded, type RemoveResult, type RemoveTarget, removeVersion } from '../core/objects/remove.js';
import { formatScope, listScope, parseScope } from '../core/session/scope.js';
import { openSession, type Session } from '../core/session/session.js';
import { listLevel } from '../s3/list.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import { reportBatch } from '../output/batch.js';
import type { Output } from '../output/output.js';
import { renderRemoved, retireAdvice, retireJson } from '../output/render.js';

export interface RmOptions {
  recursive?: boolean;
  versionId?: string;
  allVersions?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  jobs: number;
}

/** What rm deletes: found by a listing (and a keyless HEAD for one object, so a typo is not "deleted"). */
async function targets(s: Session, target: string, opts: RmOptions): Promise<RemoveTarget[]> {
  const loc = parseS3Url(target);
  if (!opts.recursive && (loc.key === '' || loc.key.endsWith('/'))) {
    throw new Sse3Error('USAGE', `${target} names a folder, not an object`, `delete everything under it with: sse3 rm ${target} --recursive`);
  }
  if (opts.allVersions || opts.recursive) {
    const prefix = opts.recursive ? parseScope(target).prefix : loc.key;
    const found: RemoveTarget[] = [];
    if (!opts.allVersions) {
      for await (const o of listScope(s, { bucket: loc.bucket, prefix })) found.push({ bucket: loc.bucket, key: o.key, versionId: '' });
      return found;
    }
    for await (const e of listLevel(s.conn, loc.bucket, prefix, { versions: true, deleteMarkers: true }, s.signal)) {
      if (e.kind === 'object' && (opts.recursive || e.key === loc.key)) {
        found.push({ bucket: loc.bucket, key: e.key, versionId: e.versionId, deleteMarker: e.deleteMarker });
      }
    }
    if (!opts.recursive && !found.length) {
      throw new Sse3Error('NO_OBJECT', `${formatS3Url(loc)} does not exist (no version of it either)`, `see what is there with: sse3 ls ${target} --versions`);
    }
    return found;
  }
  // headWithoutKey throws NO_OBJECT for a missing object or version; SSE-C objects answer without a key too.
  await headWithoutKey(s, { ...loc, versionId: opts.versionId }).catch((e: Sse3Error) => {
    throw e.code === 'NO_OBJECT' ? new Sse3Error('NO_OBJECT', `${formatS3Url(loc)}${opts.versionId ? ` version ${opts.versionId}` : ''} does not exist`,
      `see what is there with: sse3 ls ${formatS3Url({ bucket: loc.bucket, key: loc.key.slice(0, loc.key.lastIndexOf('/') + 1) })}`) : e;
  });
  return [{ ...loc, versionId: opts.versionId ?? '' }];
}

/** sse3 rm: delete objects (no key needed) and their manifest rows; advise which keys nothing recorded needs any more. */
export async function rm(target: string, opts: RmOptions, g: GlobalOptions, out: Output, signal: AbortSignal): Promise<void> {
  if (opts.versionId !== undefined && (opts.recursive || opts.allVersions)) {
    throw new Sse3Error('USAGE', '--version-id names one version of one object: it goes with neither --recursive nor --all-versions');
  }
  const s = await openSession(g, signal);
  try {
    const list = await targets(s, target, opts);
    const loc = parseS3Url(target);
    const what = opts.recursive ? formatScope(parseScope(target)) : target;
    if (!list.length) return out.info(`nothing to delete under ${what}`);
    if (opts.dryRun) {
      for (const t of list) out.item(`(dry run) would delete ${formatS3Url(t)}${t.versionId ? `  version ${t.versionId}` : ''}`,
        { ok: true, dryRun: true, url: formatS3Url(t), key: t.key, versionId: t.versionId || null });
      return out.summary({ wouldDelete: list.length }, `dry run: ${list.length} object version(s) would be deleted; nothing was`);
    }
    if ((opts.recursive || opts.allVersions) && !opts.yes) {
      const question = `delete ${list.length} object version(s) under ${what}?`;
      if (!out.canAsk) {
        throw new Sse3Error('USAGE', `rm ${opts.recursive ? '--recursive' : '--all-versions'} would delete ${list.length} object version(s) ` +
          'and there is no terminal to confirm it', 'confirm with --yes, or see what would go with --dry-run');
      }
      if (!await out.confirm(question)) return out.info('not confirmed: nothing was deleted');
    }
    const forgotten = new Set<string>();
    const items = list.map((t) => ({ label: formatS3Url(t), run: async () => {
      const r = await removeVersion(s, t);
      for (const fp of r.forgotten) forgotten.add(fp);
      return r;
    } }));
    await reportBatch<RemoveResult>(out, (async function* () { yield* items; })(), {
      jobs: opts.jobs, signal, render: (r) => renderRemoved(out, r),
      summary: async (sum) => {
        const whole = opts.recursive && parseScope(target).prefix === '' ? loc.bucket : undefined;
        const retire = await keysNoLongerNeeded(s, forgotten, [loc.bucket], { wholeBucket: whole, jobs: opts.jobs });
        return { json: { ok: sum.ok, failed: sum.failed, ...retireJson(retire) },
          line: [`${sum.ok} deleted, ${sum.failed} failed`, ...retire.map(retireAdvice)].join('\n') };
      },
    });
  } finally {
    s.close();
  }
}
