import type { Rendered } from './batch.js';
import type { Output } from './output.js';

// What mb and rb say: the bucket made or deleted, and rb --force's closing summary.

export const renderBucketMade = (out: Output, r: { bucket: string; region: string }): Rendered => ({
  line: `${out.c.green('✓')} made bucket s3://${r.bucket} (region ${r.region})`,
  json: { ok: true, url: `s3://${r.bucket}`, bucket: r.bucket, region: r.region, created: true },
});

/** forgotten: the manifest's rows of the bucket's objects, removed with it. */
export const renderBucketDeleted = (out: Output, r: { bucket: string; forgotten: number }): Rendered => ({
  line: `${out.c.green('✓')} deleted bucket s3://${r.bucket}` + (r.forgotten ? ` (and ${r.forgotten} manifest record(s) of objects in it)` : ''),
  json: { ok: true, url: `s3://${r.bucket}`, bucket: r.bucket, bucketDeleted: true, forgottenRecords: r.forgotten },
});

/** rb --force: versions deleted and failed, and whether the bucket went (never while a version is left). */
export const bucketDeletedSummary = (bucket: string, sum: { ok: number; failed: number }, bucketDeleted: boolean) => {
  const versions = sum.ok - (bucketDeleted ? 1 : 0);
  return {
    json: { succeeded: sum.ok, failed: sum.failed, bucket, bucketDeleted },
    line: `${versions} object version(s) deleted, ${sum.failed} failed; bucket s3://${bucket} ` +
      (bucketDeleted ? 'deleted' : 'kept, since not everything in it could be deleted'),
    ...(bucketDeleted ? {} : { failure: `bucket ${bucket} was kept: ${sum.failed} deletion(s) failed` }),
  };
};

/** rb --force --dry-run's closing summary. */
export const wouldDeleteBucketSummary = (bucket: string, versions: number) => ({
  json: { ok: true, dryRun: true, wouldDelete: versions, bucket },
  line: `dry run: ${versions} object version(s) and bucket s3://${bucket} would be deleted; nothing was`,
});
