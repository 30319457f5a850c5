// The memory of the bucket-wide scans (keys usage, manifest pull): bounded however many objects they go through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pullFromTags } from '../../src/core/scans/pull.js';
import { scanKeyUsage } from '../../src/core/scans/usage.js';
import { SCAN_YOUNG_GENERATION_BYTES, scanOldGenerationSlack } from '../../src/core/runtime/memory.js';
import { SseCKey } from '../../src/keys/key.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { S3Twin } from '../support/s3-twin.js';
import { twinSession } from '../support/twin-session.js';

const youngGeneration = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
/**
 * What a scan may hold the young generation to: the bound, or the size it already had when the scan began (a bound
 * stops growth, it does not shrink), with room for the few pages V8 adds beside its semi-spaces — growth doubles it.
 */
const boundFromHere = () => Math.max(youngGeneration(), SCAN_YOUNG_GENERATION_BYTES) * 2;

/** A twin bucket of `count` tiny tagged objects, in a session that keys `key`. */
function bucketOf(count: number, key: SseCKey, opts: { versioned?: boolean } = {}) {
  const twin = new S3Twin({ endpoint: `https://scan-memory-${Math.random()}`, ...opts });
  for (let n = 0; n < count; n++) {
    twin.store(`b/f${String(n).padStart(6, '0')}`, { body: Buffer.alloc(0), keyMd5: key.keyMd5, metadata: {},
      tags: { 'sse3-fp': key.fingerprint }, ...(opts.versioned ? { versionId: `v${n}`, etag: `"e${n}"` } : {}) });
  }
  return twin;
}

test('keys usage and manifest pull keep V8\'s young generation bounded while they scan', async () => {
  const key = new SseCKey(randomBytes(32), 'unit');
  // The twin keeps every request it answered: each one survives, the way requests in flight do on a real server, and
  // V8 would grow its young generation for them again and again.
  const twin = bucketOf(20_000, key);
  const s = twinSession(twin.connection(), [key]);
  const bound = boundFromHere();
  let largest = 0;
  const scan = await scanKeyUsage(s, [{ bucket: 'b', prefix: '' }], { jobs: 16,
    onProgress: () => { largest = Math.max(largest, youngGeneration()); } });
  assert.equal(scan.scanned, 20_000);
  assert.ok(largest <= bound, `the young generation grew to ${largest} bytes during keys usage (bound ${bound})`);

  const versioned = bucketOf(10_000, key, { versioned: true });
  const manifest = new ManifestStore(':memory:');
  const io = { conn: versioned.connection(), manifest };
  const pullBound = boundFromHere();
  let pulledLargest = 0;
  const watch = setInterval(() => { pulledLargest = Math.max(pulledLargest, youngGeneration()); }, 1);
  try {
    const pulled = await pullFromTags(io, { bucket: 'b', prefix: '' }, { jobs: 16 });
    assert.equal(pulled.recorded, 10_000);
  } finally {
    clearInterval(watch);
    manifest.close();
  }
  assert.ok(pulledLargest <= pullBound, `the young generation grew to ${pulledLargest} bytes during manifest pull (bound ${pullBound})`);

});

test('manifest pull holds what the manifest knows one object at a time, not the whole scope\'s rows', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heldBytes = () => { gc(); return process.memoryUsage().heapUsed; };
  const key = new SseCKey(randomBytes(32), 'unit');
  const count = 20_000;
  const twin = bucketOf(count, key, { versioned: true });
  const manifest = new ManifestStore(':memory:');
  const conn = twin.connection();
  const io = { conn, manifest };
  try {
    assert.equal((await pullFromTags(io, { bucket: 'b', prefix: '' }, { jobs: 16 })).recorded, count);
    twin.requests.length = 0;
    // Half-way through the second pull's listing (no version changed: nothing read, all compared), what it holds.
    const send = conn.client.send.bind(conn.client);
    let pages = 0;
    let midway = 0;
    conn.client.send = ((cmd: Parameters<typeof send>[0]) => {
      if (cmd.constructor.name === 'ListObjectVersionsCommand' && ++pages === count / 1000 / 2) midway = heldBytes();
      return send(cmd);
    }) as typeof send;
    const before = heldBytes();
    const again = await pullFromTags(io, { bucket: 'b', prefix: '' }, { jobs: 16 });
    assert.deepEqual([again.listed, again.unchanged, again.read], [count, count, 0]);
    const held = midway - before;
    // Every row and stamp of the scope held at once came to over 300 bytes a version (6 MB here).
    assert.ok(held < 2 * 1024 * 1024, `the pull held ${held} bytes more half-way through than before it began`);
  } finally {
    manifest.close();
  }
});

test('keys usage collects its old generation as it goes: what in-flight requests promoted does not pile up', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const oldGeneration = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
  const key = new SseCKey(randomBytes(32), 'unit');
  const count = 40_000;
  const twin = bucketOf(count, key);
  const s = twinSession(twin.connection(), [key]);
  gc();
  const live = oldGeneration();
  let largest = 0;
  const scan = await scanKeyUsage(s, [{ bucket: 'b', prefix: '' }], { jobs: 16, onProgress: () => {
    // The twin's record of the requests it answered is the test's, not the scan's: dropped, so all the scan keeps is
    // what it holds itself.
    twin.requests.length = 0;
    largest = Math.max(largest, oldGeneration());
  } });
  assert.equal(scan.scanned, count);
  const grown = largest - live;
  // The scan's slack, what one young-generation collection between two checks may promote, and a few MiB of pages not
  // yet swept. Left to V8, the first full collection came at 28 to 45 MB more here.
  const bound = scanOldGenerationSlack(live) + SCAN_YOUNG_GENERATION_BYTES + 4 * 1024 * 1024;
  assert.ok(grown <= bound, `the old generation grew by ${(grown / 1048576).toFixed(1)} MiB during the scan (bound ${(bound / 1048576).toFixed(1)})`);
});
