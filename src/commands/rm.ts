import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import { keysNoLongerNeeded, type RemoveResult, type RemoveTarget, refuseFolder, removeTargets, removeVersion } from '../core/objects/remove.js';
import { formatScope, parseScope } from '../core/session/scope.js';
import { openSession, type Session } from '../core/session/session.js';
import { noncurrentVersions } from '../core/objects/noncurrent.js';
import { confirmedChange } from '../output/confirm.js';
import type { Output } from '../output/output.js';
import { folderScopeOf, formatS3Url, parseS3Url } from '../s3/url.js';
import { reportBatch } from '../output/batch.js';
import { objectIds } from '../output/output.js';
import { keptNoncurrentLines, type KeptVersions, removedSummary, renderRemoved, renderWouldDelete, wouldDeleteSummary } from '../output/render.js';

export interface RmOptions {
  recursive?: boolean;
  versionId?: string;
  allVersions?: boolean;
  /** Only versions that are not their object's current one (of a deleted object, all of them). */
  noncurrent?: boolean;
  /** With noncurrent: only the versions under this key. */
  fingerprint?: string;
  /** The URL's key exactly as written, a trailing "/" included: one object, not a folder. */
  exact?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  jobs: number;
}

/** sse3 rm: delete objects (no key needed) and their manifest rows; advise which keys nothing recorded needs any more. */
export async function rm(target: string, opts: RmOptions, { g, out, signal }: CommandRun): Promise<void> {
  if (opts.versionId !== undefined && (opts.recursive || opts.allVersions)) {
    throw new Sse3Error('USAGE', '--version-id names one version of one object: it goes with neither --recursive nor --all-versions');
  }
  if (opts.exact && opts.recursive) {
    throw new Sse3Error('USAGE', '--exact names one object (its key ending in "/"), --recursive everything under a folder: give one of them');
  }
  checkNoncurrent(opts);
  const s = await openSession(g, { signal, out });
  try {
    const loc = parseS3Url(target);
    const what = opts.recursive ? formatScope(parseScope(target)) : target;
    const { list, kept } = opts.noncurrent ? await noncurrentTargets(s, target, opts, out) : { list: await removeTargets(s, target, opts) };
    if (!list.length) {
      return out.summary({ ok: true, ...(opts.dryRun ? { dryRun: true, wouldDelete: 0 } : { succeeded: 0, failed: 0 }) },
        opts.noncurrent ? `no noncurrent version${opts.fingerprint === undefined ? '' : ` under key ${opts.fingerprint}`} ` +
          `to delete under ${what}` : `nothing to delete under ${what}`);
    }
    if (opts.dryRun) {
      for (const t of list) {
        const r = renderWouldDelete(t);
        out.item(r.line, r.json);
      }
      const summary = wouldDeleteSummary(list.length, kept);
      return out.summary(summary.json, summary.line);
    }
    if (opts.recursive || opts.allVersions || opts.noncurrent) {
      const flag = opts.recursive ? '--recursive' : opts.allVersions ? '--all-versions' : '--noncurrent';
      if (!await confirmedChange(out, { yes: opts.yes, hint: 'confirm with --yes, or see what would go with --dry-run',
        refusal: `rm ${flag} would delete ${list.length} object version(s) and there is no terminal to confirm it`,
        question: `delete ${list.length} object version(s) under ${what}?` })) {
        return out.summary({ ok: true, confirmed: false, succeeded: 0, failed: 0 }, 'not confirmed: nothing was deleted');
      }
    }
    // The key whose versions were asked for is checked too: its versions may have had no row here.
    const forgotten = new Set<string>(opts.fingerprint === undefined ? [] : [opts.fingerprint]);
    const items = list.map((t) => ({ label: formatS3Url(t), ids: { ...objectIds(formatS3Url(t)), versionId: t.versionId }, run: async () => {
      const r = await removeVersion(s, t);
      for (const fp of r.forgotten) forgotten.add(fp);
      return r;
    } }));
    await reportBatch<RemoveResult>(out, (async function* () { yield* items; })(), {
      jobs: opts.jobs, signal, render: (r) => renderRemoved(out, r),
      summary: async (sum) => {
        const whole = opts.recursive && parseScope(target).prefix === '' ? loc.bucket : undefined;
        return removedSummary(sum, await keysNoLongerNeeded(s, forgotten, [loc.bucket], { wholeBucket: whole, jobs: opts.jobs }), kept);
      },
    });
  } finally {
    s.close();
  }
}

/** --noncurrent selects versions of one object (or with --recursive under a prefix); --fingerprint narrows it to one key. */
function checkNoncurrent(opts: RmOptions): void {
  if (opts.fingerprint !== undefined && !opts.noncurrent) {
    throw new Sse3Error('USAGE', '--fingerprint goes with --noncurrent: rm deletes the older versions under a key, not the current ones',
      'to re-key current versions use sse3 rotate --fingerprint FP --to REF');
  }
  if (opts.noncurrent && (opts.versionId !== undefined || opts.allVersions)) {
    throw new Sse3Error('USAGE', '--noncurrent goes with neither --version-id nor --all-versions');
  }
}

/**
 * The noncurrent versions to delete, and (with --fingerprint) those kept because their key could not be told, each
 * kind said in a warning before anything is deleted.
 */
async function noncurrentTargets(s: Session, target: string, opts: RmOptions, out: Output)
  : Promise<{ list: RemoveTarget[]; kept?: KeptVersions }> {
  refuseFolder(target, opts);
  const sel = await noncurrentVersions(s, target, opts);
  if (opts.fingerprint === undefined) return { list: sel.targets };
  const kept = { unknownKey: sel.unknown, unreadable: sel.unreadable };
  const adoptScope = opts.recursive ? formatScope(parseScope(target)) : folderScopeOf(parseS3Url(target));
  for (const line of keptNoncurrentLines({ ...kept, firstUnreadable: sel.firstUnreadable }, opts.fingerprint, adoptScope)) out.warn(line);
  return { list: sel.targets, kept };
}
