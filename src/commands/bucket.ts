import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import { deleteBucket, makeBucket } from '../core/objects/buckets.js';
import { type RemoveResult, removeTargets, removeVersion } from '../core/objects/remove.js';
import { openSession, type Session } from '../core/session/session.js';
import { allowSseC, bucketSseC } from '../core/objects/bucket-sse-c.js';
import { reportBatch } from '../output/batch.js';
import { confirmedChange } from '../output/confirm.js';
import { objectIds, type Output } from '../output/output.js';
import { renderRemoved, renderWouldDelete } from '../output/render.js';
import { bucketDeletedSummary, renderBucketDeleted, renderBucketMade, wouldDeleteBucketSummary } from '../output/render-bucket.js';
import { renderBucketSseC } from '../output/render-bucket-sse-c.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';

export interface RbOptions {
  force?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  jobs: number;
}

/** The bucket a command names: s3://BUCKET alone (a trailing "/" is fine), never an object or a prefix. */
function bucketOf(target: string, command: 'mb' | 'rb' | 'bucket sse-c'): string {
  const loc = parseS3Url(target);
  if (loc.key !== '') {
    throw new Sse3Error('USAGE', `sse3 ${command} takes a bucket, s3://${loc.bucket}, not an object or a prefix`,
      command === 'rb' ? `to delete objects use: sse3 rm ${target} --recursive` : undefined);
  }
  return loc.bucket;
}

/** sse3 mb s3://BUCKET: create a bucket; one that exists is an error saying whether it is yours. */
export async function mb(target: string, _opts: object, { g, out, signal }: CommandRun): Promise<void> {
  const bucket = bucketOf(target, 'mb');
  const s = await openSession(g, { signal, out });
  try {
    out.show(renderBucketMade(out, await makeBucket(s, bucket)));
  } finally {
    s.close();
  }
}

/**
 * sse3 rb s3://BUCKET [--force]: delete a bucket. Without --force only an empty one (else the error says how); with it,
 * every object version and delete marker first, as rm --recursive --all-versions does and with its confirmation rules,
 * then the bucket — only when every version went.
 */
export async function rb(target: string, opts: RbOptions, { g, out, signal }: CommandRun): Promise<void> {
  const bucket = bucketOf(target, 'rb');
  if (opts.dryRun && !opts.force) throw new Sse3Error('USAGE', '--dry-run goes with --force: it shows what --force would delete');
  const s = await openSession(g, { signal, out });
  try {
    if (!opts.force) return out.show(renderBucketDeleted(out, await deleteBucket(s, bucket)));
    await forceRemove(s, bucket, opts, out);
  } finally {
    s.close();
  }
}

/** rb --force: every version and delete marker (rm's batch, rm's confirmation), then the bucket as the batch's last item. */
async function forceRemove(s: Session, bucket: string, opts: RbOptions, out: Output): Promise<void> {
  const url = `s3://${bucket}`;
  const list = await removeTargets(s, url, { recursive: true, allVersions: true });
  if (opts.dryRun) {
    for (const t of list) {
      const r = renderWouldDelete(t);
      out.item(r.line, r.json);
    }
    const summary = wouldDeleteBucketSummary(bucket, list.length);
    return out.summary(summary.json, summary.line);
  }
  if (list.length && !await confirmedChange(out, { yes: opts.yes,
    refusal: `rb --force would delete ${list.length} object version(s) and bucket ${bucket}, and there is no terminal to confirm it`,
    hint: 'confirm with --yes, or see what would go with --dry-run',
    question: `delete ${list.length} object version(s) and bucket ${bucket}?` })) {
    return out.summary({ ok: true, confirmed: false, succeeded: 0, failed: 0, bucketDeleted: false }, 'not confirmed: nothing was deleted');
  }
  const versions: Array<Promise<unknown>> = [];
  let deleted: { bucket: string; forgotten: number } | undefined;
  type Done = { version: RemoveResult } | { bucket: { bucket: string; forgotten: number } };
  const items = (async function* () {
    for (const t of list) {
      yield { label: formatS3Url(t), ids: { ...objectIds(formatS3Url(t)), versionId: t.versionId }, run: () => {
        const p = removeVersion(s, t).then((version): Done => ({ version }));
        versions.push(p);
        return p;
      } };
    }
    // The bucket once every version is gone (the batch runs items in parallel): never while one is still there.
    const ended = await Promise.allSettled(versions);
    if (ended.some((e) => e.status === 'rejected') || s.signal.aborted) return;
    yield { label: url, ids: { url, bucket }, run: async (): Promise<Done> => {
      deleted = await deleteBucket(s, bucket, { emptied: true });
      return { bucket: deleted };
    } };
  })();
  await reportBatch<Done>(out, items, {
    jobs: opts.jobs, signal: s.signal,
    render: (r) => ('version' in r ? renderRemoved(out, r.version) : renderBucketDeleted(out, r.bucket)),
    summary: (sum) => bucketDeletedSummary(bucket, sum, deleted !== undefined),
  });
}

/**
 * sse3 bucket sse-c s3://BUCKET [--allow]: whether the bucket blocks SSE-C writes (AWS's block since April 2026), and
 * with --allow, after rb's confirmation rules, lift the block keeping the default encryption. Nothing blocked (or a
 * server with no such block): said so, no change requested.
 */
export async function sseC(target: string, opts: { allow?: boolean; yes?: boolean }, { g, out, signal }: CommandRun): Promise<void> {
  const bucket = bucketOf(target, 'bucket sse-c');
  if (opts.yes && !opts.allow) throw new Sse3Error('USAGE', '--yes goes with --allow: it confirms the change --allow makes');
  const s = await openSession(g, { signal, out });
  try {
    const found = await bucketSseC(s, bucket);
    if (!opts.allow) return out.show(renderBucketSseC(out, found, 'not-asked'));
    if (found.state !== 'blocked') return out.show(renderBucketSseC(out, found, 'nothing-to-change'));
    if (!await confirmedChange(out, { yes: opts.yes, hint: 'confirm with --yes',
      refusal: `bucket sse-c --allow would change the encryption configuration of bucket ${bucket}, and there is no terminal to confirm it`,
      question: `allow SSE-C writes to bucket ${bucket} (its default encryption is kept)?` })) {
      return out.show(renderBucketSseC(out, found, 'not-confirmed'));
    }
    out.show(renderBucketSseC(out, await allowSseC(s, found), 'changed'));
  } finally {
    s.close();
  }
}
