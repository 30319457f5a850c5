import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { Sse3Error } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import type { Tuning } from '../core/context.js';
import { type FilterRule, pathFilter } from '../core/sync/filter.js';
import { formatScope, parseScope } from '../core/session/scope.js';
import { loadGivenKeys, openSession } from '../core/session/session.js';
import type { SseCKey } from '../keys/key.js';
import { type CopySyncSpec, planCopySync } from '../core/sync/copy.js';
import { planSync, type SyncOutcome, type SyncSpec, type SyncTally } from '../core/sync/plan.js';
import { writeKeyRef } from '../keys/write-ref.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { isS3Url } from '../s3/url.js';
import { reportBatch } from '../output/batch.js';
import { humanBytes, type Output } from '../output/output.js';
import { renderSync } from '../output/render.js';

export interface SyncOptions extends Tuning {
  key?: string;
  sourceKey?: string;
  delete?: boolean;
  dryRun?: boolean;
  checksum?: boolean;
  /** --exclude and --include in command-line order. */
  filters: FilterRule[];
  jobs: number;
}

/** Work planned ahead of what runs: enough for a meaningful total and ETA, bounded in memory. */
const READ_AHEAD = 4096;

export async function sync(src: string, dst: string, opts: SyncOptions, g: GlobalOptions, out: Output, signal: AbortSignal)
  : Promise<void> {
  const plan = await syncPlan(src, dst, opts);
  const { dryRun } = plan.spec;
  // Keys that open the objects read (down, or the source of s3 → s3): candidates by fingerprint, as for get and cp.
  const s = await openSession(g, signal, { keys: plan.readKeys });
  const tally: SyncTally = { unchanged: 0, notDeleted: 0, skipped: 0, unrecorded: 0 };
  const done = { upload: 0, download: 0, copy: 0, delete: 0, unchanged: 0, bytes: 0 };
  const count = (o: SyncOutcome) => {
    done[o.action]++;
    done.bytes += o.dryRun ? o.size * Number(o.action !== 'delete') : o.bytes;
  };
  const work = plan.kind === 'copy' ? planCopySync(s, plan.spec, tally) : planSync(s, plan.spec, tally, (m) => out.warn(m));
  const destination = plan.kind === 'copy' ? plan.spec.dest : plan.spec.scope;
  try {
    await reportBatch(out, work, {
      jobs: opts.jobs, signal, noun: plan.kind === 'copy' ? 'objects' : 'files', readAhead: READ_AHEAD,
      render: (o) => { count(o); return renderSync(out, o); },
      status: () => `${(tally.unchanged + done.unchanged).toLocaleString('en-US')} unchanged`,
      summary: (b) => {
        const json = { uploaded: done.upload, downloaded: done.download, ...(plan.kind === 'copy' ? { copied: done.copy } : {}),
          deleted: done.delete, unchanged: tally.unchanged + done.unchanged, failed: b.failed, bytes: done.bytes,
          skipped: tally.skipped + tally.notDeleted, dryRun };
        const moved = plan.kind === 'copy' ? `${done.copy} copied` : `${json.uploaded} uploaded, ${json.downloaded} downloaded`;
        const kept = tally.notDeleted ? `; ${tally.notDeleted} only in the destination, kept (--delete removes them)` : '';
        return { json, line: `${dryRun ? 'dry run, nothing changed: would have ' : ''}${moved}, ${json.deleted} deleted, ` +
          `${json.unchanged} unchanged, ${json.failed} failed, ${humanBytes(json.bytes)}${kept}` };
      },
    });
  } finally {
    if (tally.unrecorded) {
      out.warn(`${tally.unrecorded} object(s) had no sse3 record (not in the manifest, no sse3-sha256 tag) and were treated as changed; ` +
        `record existing objects once with: sse3 adopt --hash ${formatScope(plan.kind === 'copy' ? plan.spec.source : destination)}`);
    }
    s.close();
  }
}

type Plan = ({ kind: 'local'; spec: SyncSpec } | { kind: 'copy'; spec: CopySyncSpec }) & { readKeys?: SseCKey[] };

/** Everything checked locally before the first request: directions, folders, filters, keys. */
async function syncPlan(src: string, dst: string, opts: SyncOptions): Promise<Plan> {
  const [srcS3, dstS3] = [isS3Url(src), isS3Url(dst)];
  if (!srcS3 && !dstS3) {
    throw new Sse3Error('USAGE', 'one side of sync must be an s3:// URL', 'e.g. sse3 sync ./photos s3://backups/photos/ --key REF');
  }
  const common = { delete: Boolean(opts.delete), dryRun: Boolean(opts.dryRun), filter: pathFilter(opts.filters), tuning: opts };
  if (srcS3 && dstS3) {
    const [source, dest] = [parseScope(src), parseScope(dst)];
    if (source.bucket === dest.bucket && (source.prefix.startsWith(dest.prefix) || dest.prefix.startsWith(source.prefix))) {
      throw new Sse3Error('USAGE', `${formatScope(source)} and ${formatScope(dest)} overlap`, 'sync between folders neither of which holds the other');
    }
    if (opts.checksum) throw new Sse3Error('USAGE', '--checksum compares local files; s3 → s3 always compares recorded checksums');
    const readKeys = await loadGivenKeys(opts.sourceKey !== undefined ? [opts.sourceKey] : undefined);
    const destKey = opts.key !== undefined ? await loadKey(parseKeyRef(opts.key)) : undefined;
    return { kind: 'copy', spec: { ...common, source, dest, destKey }, readKeys };
  }
  if (opts.sourceKey !== undefined) throw new Sse3Error('USAGE', '--source-key is for s3 → s3; down, --key opens the objects');
  const local = { ...common, checksum: Boolean(opts.checksum) };
  if (!srcS3) {
    const root = resolve(src);
    const st = await fs.stat(root).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new Sse3Error('USAGE', `${src} is not a folder${st ? '' : ' (it does not exist)'}`,
        'sync uploads a folder; for one file use: sse3 put FILE s3://BUCKET/KEY');
    }
    const putKey = await loadKey(parseKeyRef(writeKeyRef(opts.key, process.env)));
    return { kind: 'local', spec: { ...local, direction: 'up', root, scope: parseScope(dst), putKey } };
  }
  const root = resolve(dst);
  const st = await fs.stat(root).catch(() => undefined);
  if (st && !st.isDirectory()) throw new Sse3Error('USAGE', `${dst} exists and is not a folder`, 'sync downloads into a folder');
  const readKeys = await loadGivenKeys(opts.key !== undefined ? [opts.key] : undefined);
  if (!st && !opts.dryRun) await fs.mkdir(root, { recursive: true });
  return { kind: 'local', spec: { ...local, direction: 'down', root, scope: parseScope(src) }, readKeys };
}
