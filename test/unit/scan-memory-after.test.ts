// After a bucket-wide scan, V8 sizes its young generation as it would have: the scan's bound does not outlive it.
// A file of its own so it starts in a process of its own: V8's young generation has a cap (32 MiB on Node.js 22,
// 128 MiB on 24), and one that an earlier test already grew to that cap could not show growth at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { getHeapSpaceStatistics } from 'node:v8';
import { scanKeyUsage } from '../../src/core/scans/usage.js';
import { SCAN_YOUNG_GENERATION_BYTES } from '../../src/core/runtime/memory.js';
import { SseCKey } from '../../src/keys/key.js';
import { S3Twin } from '../support/s3-twin.js';
import { twinSession } from '../support/twin-session.js';

const youngGeneration = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

test('once a scan has ended, survivors grow V8\'s young generation past the scan\'s bound again', async () => {
  const key = new SseCKey(randomBytes(32), 'unit');
  const twin = new S3Twin({ endpoint: 'https://scan-memory-after' });
  for (let n = 0; n < 5_000; n++) {
    twin.store(`b/f${String(n).padStart(6, '0')}`, { body: Buffer.alloc(0), keyMd5: key.keyMd5, metadata: {},
      tags: { 'sse3-fp': key.fingerprint } });
  }
  const scan = await scanKeyUsage(twinSession(twin.connection(), [key]), [{ bucket: 'b', prefix: '' }], { jobs: 16 });
  assert.equal(scan.scanned, 5_000);
  const atEnd = youngGeneration();
  assert.ok(atEnd <= SCAN_YOUNG_GENERATION_BYTES * 2, `the scan left the young generation at ${atEnd} bytes`);

  // Held at the bound, it would stay at its size whatever survives; given back, V8 doubles it (a quarter over the
  // size it has now is the next doubling, not the pages V8 adds beside its semi-spaces).
  const after = Math.max(atEnd, SCAN_YOUNG_GENERATION_BYTES) * 1.25;
  const kept: unknown[] = [];
  for (let n = 0; n < 5_000_000 && youngGeneration() <= after; n++) kept.push({ n, text: `item ${n}` });
  assert.ok(youngGeneration() > after, `V8 left its young generation at ${youngGeneration()} bytes once no scan ran`);
});
