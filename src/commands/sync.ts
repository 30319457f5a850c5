import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { Sse3Error } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import type { Tuning } from '../core/context.js';
import { type FilterRule, pathFilter } from '../core/filter.js';
import { formatScope, parseScope } from '../core/scope.js';
import { openSession } from '../core/session.js';
import { planSync, type SyncOutcome, type SyncSpec, type SyncTally } from '../core/syncplan.js';
import { writeKeyRef } from '../core/transfer.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { isS3Url } from '../s3/url.js';
import { type BatchItem, reportBatch } from '../output/batch.js';
import { humanBytes, type Output } from '../output/output.js';
import { renderSync } from '../output/render.js';

export interface SyncOptions extends Tuning {
  key?: string;
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
  const spec = await syncSpec(src, dst, opts);
  const s = await openSession(g, signal);
  const tally: SyncTally = { unchanged: 0, notDeleted: 0, skipped: 0, unrecorded: 0 };
  const done = { upload: 0, download: 0, delete: 0, unchanged: 0, bytes: 0 };
  const count = (o: SyncOutcome) => {
    done[o.action]++;
    done.bytes += o.dryRun ? o.size * Number(o.action !== 'delete') : o.bytes;
  };
  const items = (async function* (): AsyncGenerator<BatchItem<SyncOutcome>> {
    yield* planSync(s, spec, tally, (m) => out.warn(m));
  })();
  try {
    await reportBatch(out, items, {
      jobs: opts.jobs, signal, noun: 'files', readAhead: READ_AHEAD,
      render: (o) => { count(o); return renderSync(out, o); },
      status: () => `${(tally.unchanged + done.unchanged).toLocaleString('en-US')} unchanged`,
      summary: (b) => {
        const json = { uploaded: done.upload, downloaded: done.download, deleted: done.delete, unchanged: tally.unchanged + done.unchanged,
          failed: b.failed, bytes: done.bytes, skipped: tally.skipped + tally.notDeleted, dryRun: spec.dryRun };
        const kept = tally.notDeleted ? `; ${tally.notDeleted} only in ${spec.direction === 'up' ? 'the bucket' : 'the folder'}, kept (--delete removes them)` : '';
        return { json, line: `${spec.dryRun ? 'dry run, nothing changed: would have ' : ''}${json.uploaded} uploaded, ${json.downloaded} downloaded, ` +
          `${json.deleted} deleted, ${json.unchanged} unchanged, ${json.failed} failed, ${humanBytes(json.bytes)}${kept}` };
      },
    });
  } finally {
    if (tally.unrecorded) {
      out.warn(`${tally.unrecorded} object(s) had no sse3 record (not in the manifest, no sse3-sha256 tag) and were treated as changed; ` +
        `record existing objects once with: sse3 adopt --hash ${formatScope(spec.scope)}`);
    }
    s.close();
  }
}

/** Everything checked locally before the first request: directions, folders, filters, the key for uploads. */
async function syncSpec(src: string, dst: string, opts: SyncOptions): Promise<SyncSpec> {
  const [srcS3, dstS3] = [isS3Url(src), isS3Url(dst)];
  if (srcS3 === dstS3) {
    throw new Sse3Error('USAGE', srcS3 ? 'sync between two s3:// locations is not supported yet' : 'one side of sync must be an s3:// URL',
      srcS3 ? 'sync through a local folder, or copy with: sse3 cp --recursive' : 'e.g. sse3 sync ./photos s3://backups/photos/ --key REF');
  }
  const common = { checksum: Boolean(opts.checksum), delete: Boolean(opts.delete), dryRun: Boolean(opts.dryRun),
    filter: pathFilter(opts.filters), tuning: opts };
  if (!srcS3) {
    const root = resolve(src);
    const st = await fs.stat(root).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new Sse3Error('USAGE', `${src} is not a folder${st ? '' : ' (it does not exist)'}`,
        'sync uploads a folder; for one file use: sse3 put FILE s3://BUCKET/KEY');
    }
    const putKey = await loadKey(parseKeyRef(writeKeyRef(opts.key)));
    return { ...common, direction: 'up', root, scope: parseScope(dst), putKey };
  }
  const root = resolve(dst);
  const st = await fs.stat(root).catch(() => undefined);
  if (st && !st.isDirectory()) throw new Sse3Error('USAGE', `${dst} exists and is not a folder`, 'sync downloads into a folder');
  if (opts.key !== undefined) parseKeyRef(opts.key);
  if (!st && !opts.dryRun) await fs.mkdir(root, { recursive: true });
  return { ...common, direction: 'down', root, scope: parseScope(src), keyRef: opts.key };
}
