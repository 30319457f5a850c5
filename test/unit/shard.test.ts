import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inShard, parseShard, shardOfKey } from '../../src/core/shard.js';
import { listScopeVersions, manifestInScope } from '../../src/core/session/scope.js';
import { scanKeyUsage } from '../../src/core/scans/usage.js';
import { pullFromTags } from '../../src/core/scans/pull.js';
import { Sse3Error } from '../../src/errors.js';
import { SseCKey } from '../../src/keys/key.js';
import { S3Twin } from '../support/s3-twin.js';
import { twinSession } from '../support/twin-session.js';

test('--shard takes I/N with I from 0 to N-1; anything else is a usage error', () => {
  assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
  assert.deepEqual(parseShard('3/4'), { index: 3, count: 4 });
  for (const bad of ['4/4', '1/0', '-1/4', '1.5/4', 'a/b', '1/4/5', '1', '', '0/2000000']) {
    assert.throws(() => parseShard(bad), (e: unknown) => e instanceof Sse3Error && e.code === 'USAGE', bad);
  }
});

test('the shard of a key is fixed: the same on every machine and every sse3 version (workers of both must agree)', () => {
  // Pinned: SHA-256 of the UTF-8 key, first 48 bits, modulo N. A change here splits a running job's objects differently.
  assert.deepEqual(['a', 'obj-00001', 'docs/2026/contract.pdf', 'é/ü'].map((k) => [shardOfKey(k, 4), shardOfKey(k, 1000)]),
    [[3, 699], [0, 472], [3, 359], [1, 645]]);
});

test('every key is in exactly one of N shards, and the shards are near even whatever the keys look like', () => {
  const keys = Array.from({ length: 8000 }, (_, i) => `2026/12/07/obj-${String(i).padStart(6, '0')}`);
  for (const n of [1, 2, 3, 4, 7]) {
    const sizes = new Array<number>(n).fill(0);
    for (const key of keys) {
      const owners = sizes.map((_, i) => i).filter((i) => inShard({ index: i, count: n }, key));
      assert.equal(owners.length, 1, `${key} in ${owners.length} of ${n} shards`);
      sizes[owners[0]]++;
    }
    for (const size of sizes) assert.ok(Math.abs(size - keys.length / n) < keys.length / n * 0.1, `shards of ${n}: ${sizes.join(' ')}`);
  }
  assert.ok(inShard(undefined, 'anything'), 'no shard: every key');
});

function twinWithObjects(count: number) {
  const key = new SseCKey(randomBytes(32), 'unit');
  const twin = new S3Twin({ endpoint: `https://shard-${Math.random()}`, pageSize: 7 });
  for (let i = 0; i < count; i++) {
    twin.store(`b/k${i}`, { body: Buffer.from(`v${i}`), keyMd5: key.keyMd5, metadata: {}, tags: { 'sse3-fp': key.fingerprint } });
  }
  return { key, twin, s: twinSession(twin.connection(), [key]) };
}

test('listings and manifest reads of a sharded scope give each worker its own keys, all of them together once', async () => {
  const { twin, s } = twinWithObjects(60);
  try {
    const seen: string[] = [];
    for (let index = 0; index < 4; index++) {
      const shard = { index, count: 4 };
      const listed: string[] = [];
      for await (const v of listScopeVersions(s, { bucket: 'b', prefix: '', shard })) listed.push(v.key);
      assert.ok(listed.every((k) => shardOfKey(k, 4) === index));
      seen.push(...listed);
      await pullFromTags(s, { bucket: 'b', prefix: '', shard }, { jobs: 2 });
      const recorded = [...manifestInScope(s, undefined, { shard })].map((e) => e.key).sort();
      assert.deepEqual(recorded, [...listed].sort(), 'the manifest read of a shard gives the keys the listing gave');
    }
    assert.deepEqual(seen.sort(), [...twin.objects.keys()].map((k) => k.slice(2)).sort());
    assert.equal([...manifestInScope(s, undefined)].length, 60, 'four pulls of four shards recorded every object');
  } finally {
    s.close();
  }
});

test('a pull of one shard never removes the records of another shard\'s objects', async () => {
  const { s } = twinWithObjects(20);
  try {
    await pullFromTags(s, { bucket: 'b', prefix: '' }, { jobs: 2 });
    const pulled = await pullFromTags(s, { bucket: 'b', prefix: '', shard: { index: 1, count: 3 } }, { jobs: 2 });
    assert.deepEqual(pulled.removed, []);
    assert.equal([...manifestInScope(s, undefined)].length, 20);
  } finally {
    s.close();
  }
});

test('keys usage of a shard of a whole bucket is never kept as the bucket\'s scan (keys rm trusts only whole ones)', async () => {
  const { key, s } = twinWithObjects(10);
  try {
    for (let index = 0; index < 2; index++) await scanKeyUsage(s, [{ bucket: 'b', prefix: '', shard: { index, count: 2 } }], { jobs: 2 });
    assert.deepEqual(s.manifest.scansFindingKey(key.fingerprint), []);
    await scanKeyUsage(s, [{ bucket: 'b', prefix: '' }], { jobs: 2 });
    assert.equal(s.manifest.scansFindingKey(key.fingerprint)[0]?.objects, 10);
  } finally {
    s.close();
  }
});
