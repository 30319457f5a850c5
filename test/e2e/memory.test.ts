import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, run, type RunResult } from './harness.js';

/**
 * Peak memory of large transfers against the same command on a 1 KiB object, in one home and one run: what the data
 * path holds (part and range buffers, received chunks not yet reclaimed) is bounded whatever the object's size, while
 * the process's base (Node, the modules, the TLS context) is whatever it is on this machine.
 */

const MiB = 1024 * 1024;
const BIG = 128 * MiB;
/**
 * What a large transfer may hold above the small one. A put and a rotate hold three 8 MiB part buffers, the SDK client
 * a multipart upload needs and what is in flight around them; a get holds its ranges' small batches and what is in
 * flight. Received chunks left for the collector once grew a get by ~70 MiB and a rotate by ~100 MiB at this size.
 */
const GROWTH_LIMIT: Record<string, number> = { put: 60 * MiB, get: 40 * MiB, rotate: 60 * MiB };
const TIME = '/usr/bin/time';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** sse3 run under GNU time: its result and its peak resident set in bytes. */
async function measured(home: Home, args: string[]): Promise<{ result: RunResult; peak: number }> {
  const out = join(home.dir, `time-${randomBytes(4).toString('hex')}`);
  const result = await run(args, { home, wrap: [TIME, '-f', '%M', '-o', out], killAfterMs: 600_000 });
  assert.equal(result.code, 0, result.stderr);
  const kib = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
  assert.ok(kib > 0, `no peak RSS from ${TIME}`);
  return { result, peak: kib * 1024 };
}

const asMiB = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

test('a 128 MiB put, get and rotate each hold a bounded amount more memory than the same command on 1 KiB', { timeout: 1_800_000 },
  async (t) => {
    const home = newHome();
    const bucket = await newBucket('mem');
    const oldKey = await makeKeyFile(home, 'old.key');
    const newKey = await makeKeyFile(home, 'new.key');
    const work = join(home.dir, 'work');
    const big = randomBytes(BIG);
    writeFileSync(join(work, 'big.bin'), big);
    writeFileSync(join(work, 'small.bin'), randomBytes(1024));

    const peaks: Record<string, { small: number; large: number }> = {};
    const pair = async (name: string, small: string[], large: string[]) => {
      peaks[name] = { small: (await measured(home, small)).peak, large: (await measured(home, large)).peak };
    };
    await pair('put', ['put', 'small.bin', `s3://${bucket}/small.bin`, '--key', oldKey.ref],
      ['put', 'big.bin', `s3://${bucket}/big.bin`, '--key', oldKey.ref]);
    await pair('get', ['get', `s3://${bucket}/small.bin`, 'small.back', '--key', oldKey.ref],
      ['get', `s3://${bucket}/big.bin`, 'big.back', '--key', oldKey.ref]);
    assert.equal(sha(readFileSync(join(work, 'big.back'))), sha(big));
    await pair('rotate', ['rotate', `s3://${bucket}/small.bin`, '--from', oldKey.ref, '--to', newKey.ref],
      ['rotate', `s3://${bucket}/big.bin`, '--from', oldKey.ref, '--to', newKey.ref]);
    const back = await run(['get', `s3://${bucket}/big.bin`, 'rotated.back', '--key', newKey.ref], { home });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(sha(readFileSync(join(work, 'rotated.back'))), sha(big));

    for (const [name, p] of Object.entries(peaks)) t.diagnostic(`${name}: ${asMiB(p.small)} for 1 KiB, ${asMiB(p.large)} for 128 MiB`);
    const over = Object.entries(peaks).filter(([name, p]) => p.large - p.small > GROWTH_LIMIT[name])
      .map(([name, p]) => `${name}: ${asMiB(p.large)} for 128 MiB against ${asMiB(p.small)} for 1 KiB (at most ${asMiB(GROWTH_LIMIT[name])} more)`);
    assert.deepEqual(over, [], 'a large transfer held more memory above the small one than its data path needs');
  });
