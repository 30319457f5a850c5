import type { CommandRun } from '../options.js';
import type { Tuning } from '../core/context.js';
import { type HomeManifest, withHomeManifest } from '../core/session/home-manifest.js';
import { openSession } from '../core/session/session.js';
import { planCopySync } from '../core/sync/copy.js';
import { planSync, type SyncOutcome, type SyncTally } from '../core/sync/plan.js';
import { prepareSync, type SyncRequest } from '../core/sync/prepare.js';
import { reportBatch } from '../output/batch.js';
import { defaultKeyNote } from '../output/render-key-defaults.js';
import { otherKeysWarning, plainDownloadsWarning, renderSync, type SyncDone, syncSummary, unrecordedWarning } from '../output/render.js';

/** sync's options: what core/sync/prepare.ts takes (the tuning is the options themselves), and files in parallel. */
export interface SyncOptions extends Tuning, Omit<SyncRequest, 'tuning' | 'env' | 'manifest'> {
  jobs: number;
}

/** Work planned ahead of what runs: enough for a meaningful total and ETA, bounded in memory. */
const READ_AHEAD = 4096;

/** The default keys of an upload are read from the manifest the session then works with. */
export const sync = (src: string, dst: string, opts: SyncOptions, run: CommandRun): Promise<void> =>
  withHomeManifest((manifest) => syncWith(manifest, src, dst, opts, run));

async function syncWith(manifest: HomeManifest, src: string, dst: string, opts: SyncOptions, { g, out, signal }: CommandRun)
  : Promise<void> {
  const plan = await prepareSync(src, dst, { ...opts, tuning: opts, env: process.env, connection: g, manifest });
  const writing = plan.kind === 'local' ? plan.spec.putKeys?.all ?? [] : [];
  for (const k of writing) if (k.defaultOf) out.info(defaultKeyNote(out, k));
  // Keys that open the objects read (down, or the source of s3 → s3): candidates by fingerprint, as for get and cp.
  const s = await openSession(g, { signal, out }, { keys: plan.readKeys, manifest,
    writing: [...writing.map((k) => k.key), ...(plan.kind === 'copy' && plan.spec.destKey ? [plan.spec.destKey] : [])] });
  const tally: SyncTally = { unchanged: 0, notDeleted: 0, skipped: 0, unrecorded: 0, plain: 0, underOtherKeys: {} };
  const done: SyncDone = { upload: 0, download: 0, copy: 0, delete: 0, unchanged: 0, bytes: 0 };
  const count = (o: SyncOutcome) => {
    done[o.action]++;
    done.bytes += o.bytes;
  };
  const work = plan.kind === 'copy' ? planCopySync(s, plan.spec, tally) : planSync(s, plan.spec, tally, (m) => out.warn(m));
  try {
    await reportBatch(out, work, {
      jobs: opts.jobs, signal, noun: plan.kind === 'copy' ? 'objects' : 'files', readAhead: READ_AHEAD,
      render: (o) => { count(o); return renderSync(out, o); },
      status: () => `${(tally.unchanged + done.unchanged).toLocaleString('en-US')} unchanged`,
      summary: (b) => syncSummary({ copy: plan.kind === 'copy', down: plan.kind !== 'copy' && plan.spec.direction === 'down', dryRun: plan.spec.dryRun, done, tally, succeeded: b.ok,
        failed: b.failed }),
    });
  } finally {
    if (tally.unrecorded) out.warn(unrecordedWarning(tally.unrecorded, plan.kind === 'copy' ? plan.spec.source : plan.spec.scope));
    if (tally.plain && plan.kind !== 'copy') out.warn(plainDownloadsWarning(tally.plain, plan.spec.scope));
    const otherKeys = plan.kind === 'local' && plan.spec.putKeys
      ? otherKeysWarning(tally.underOtherKeys, plan.spec.scope, plan.spec.putKeys.all) : undefined;
    if (otherKeys) out.warn(otherKeys);
    s.close();
  }
}
