// What the tests of versioned buckets ask aws-cli (the independent judge) and the admin client for.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, type Home, runAws } from './harness.js';

export async function setVersioning(bucket: string, status: 'Enabled' | 'Suspended' = 'Enabled'): Promise<void> {
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }));
}

export interface AwsVersion { key: string; versionId: string; latest: boolean }

/** aws s3api list-object-versions of a whole bucket: its versions and its delete markers. */
export async function awsListVersions(bucket: string): Promise<{ versions: AwsVersion[]; markers: AwsVersion[] }> {
  const r = await runAws(['s3api', 'list-object-versions', '--bucket', bucket]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout || '{}');
  const of = (v: any): AwsVersion => ({ key: v.Key, versionId: v.VersionId, latest: v.IsLatest });
  return { versions: (doc.Versions ?? []).map(of), markers: (doc.DeleteMarkers ?? []).map(of) };
}

/** aws s3api get-object-tagging of one version: its tags. */
export async function awsTags(bucket: string, key: string, versionId: string): Promise<Record<string, string>> {
  // `=`: a version id may begin with "-", which aws-cli would take for an option.
  const r = await runAws(['s3api', 'get-object-tagging', '--bucket', bucket, `--key=${key}`, `--version-id=${versionId}`]);
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(JSON.parse(r.stdout).TagSet.map((t: any) => [t.Key, t.Value]));
}

/** aws s3api put-object with SSE-C, as another tool writes: no sse3 tags, no manifest row. Returns its version id. */
export async function awsPutEncrypted(home: Home, bucket: string, key: string, data: Buffer, rawKey: Buffer): Promise<string | undefined> {
  const id = randomBytes(4).toString('hex');
  const src = join(home.dir, `aws-src-${id}`);
  const keyPath = join(home.dir, `aws-key-${id}`);
  writeFileSync(src, data);
  writeFileSync(keyPath, rawKey, { mode: 0o600 });
  try {
    const r = await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', key, '--body', src,
      '--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${keyPath}`]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout || '{}').VersionId;
  } finally {
    rmSync(src);
    rmSync(keyPath);
  }
}
