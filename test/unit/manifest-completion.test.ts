import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeFingerprints, completeObjectPaths } from '../../src/manifest/completion.js';
import { newEntry, ManifestStore } from '../../src/manifest/store.js';

const fp = (head: string) => head.padEnd(20, '0');

function manifestWith(dir: string): string {
  const file = join(dir, 'manifest.db');
  const m = new ManifestStore(file);
  const objects: Array<[string, string, string]> = [['alpha', 'docs/a.txt', fp('aa')], ['alpha', 'docs/sub/b.txt', fp('ab')],
    ['alpha', 'docs/sub/c.txt', fp('ab')], ['alpha', 'docs-old/x', fp('b1')], ['alpha', 'top.txt', fp('b2')], ['alps', 'k', fp('c')],
    ['beta', 'k', fp('d')]];
  for (const [bucket, key, fingerprint] of objects) {
    m.record(newEntry({ endpoint: 'https://127.0.0.1:8443', bucket, key }, { fingerprint, size: 1 }));
  }
  m.close();
  return file;
}

test('completion of s3:// paths: buckets, then one level of objects and folders (each folder once), in S3 key order', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-complete-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = manifestWith(dir);
  assert.deepEqual(completeObjectPaths(file, 's3://'), ['s3://alpha/', 's3://alps/', 's3://beta/']);
  assert.deepEqual(completeObjectPaths(file, ''), ['s3://alpha/', 's3://alps/', 's3://beta/']);
  assert.deepEqual(completeObjectPaths(file, 's3://al'), ['s3://alpha/', 's3://alps/']);
  assert.deepEqual(completeObjectPaths(file, 's3://alpha/'), ['s3://alpha/docs-old/', 's3://alpha/docs/', 's3://alpha/top.txt']);
  assert.deepEqual(completeObjectPaths(file, 's3://alpha/docs/'), ['s3://alpha/docs/a.txt', 's3://alpha/docs/sub/']);
  assert.deepEqual(completeObjectPaths(file, 's3://alpha/docs/sub/c'), ['s3://alpha/docs/sub/c.txt']);
  assert.deepEqual(completeObjectPaths(file, 's3://gamma/'), []);
  assert.deepEqual(completeObjectPaths(file, 's3://alpha/', 2), ['s3://alpha/docs-old/', 's3://alpha/docs/']);

  assert.deepEqual(completeFingerprints(file, 'a'), [fp('aa'), fp('ab')]);
  assert.deepEqual(completeFingerprints(file, ''), [fp('aa'), fp('ab'), fp('b1'), fp('b2'), fp('c'), fp('d')]);
  assert.deepEqual(completeFingerprints(file, 'b', 1), [fp('b1')]);
});

test('completion answers nothing, and makes nothing, when the manifest is missing or not a database', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-complete-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const absent = join(dir, 'absent.db');
  assert.deepEqual(completeObjectPaths(absent, 's3://'), []);
  assert.deepEqual(completeFingerprints(absent, ''), []);
  assert.equal(existsSync(absent), false);
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, 'not a database '.repeat(100));
  assert.deepEqual(completeObjectPaths(garbage, 's3://'), []);
  assert.deepEqual(completeFingerprints(garbage, ''), []);
});
