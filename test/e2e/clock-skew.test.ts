// A clock off the server's by more than S3 allows: sse3's own signed requests are corrected from the server's Date and
// sent once more, as the SDK corrects its own; a server that keeps refusing the request's time is named for what it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, newBucket, newHome, ok, run } from './harness.js';
import { runawayClockServer } from '../support/runaway-clock.js';

/**
 * Loaded into sse3 before anything else: this process's clock reads SSE3_TEST_CLOCK_SKEW_MS off the machine's (the
 * machine's own clock is not touched), as on a machine whose clock is wrong.
 */
const SKEWED_CLOCK = 'data:text/javascript,const skew=Number(process.env.SSE3_TEST_CLOCK_SKEW_MS);const RealDate=Date;' +
  'class SkewedDate extends RealDate{constructor(...a){if(a.length===0)super(RealDate.now()+skew);else super(...a)}' +
  'static now(){return RealDate.now()+skew}}globalThis.Date=SkewedDate;';
const skewed = { nodeArgs: ['--import', SKEWED_CLOCK] };
const THIRTY_MINUTES_SLOW = { SSE3_TEST_CLOCK_SKEW_MS: String(-30 * 60_000) };

test('a clock 30 minutes slow: put, get, head, verify and rotate work against the gateway (the skew corrected, as the SDK does)',
  async () => {
    const home = newHome();
    const bucket = await newBucket('skew');
    const key = await makeKeyFile(home, 'k.key');
    const next = await makeKeyFile(home, 'next.key');
    const data = randomBytes(100_000);
    writeFileSync(join(home.dir, 'work', 'f'), data);
    const opts = { home, env: THIRTY_MINUTES_SLOW, ...skewed };
    await ok(['put', 'f', `s3://${bucket}/f`, '--key', key.ref], opts);
    await ok(['get', `s3://${bucket}/f`, 'back'], opts);
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'back')), data);
    await ok(['head', `s3://${bucket}/f`], opts);
    await ok(['verify', `s3://${bucket}`, '--deep'], opts);
    await ok(['rotate', `s3://${bucket}/f`, '--to', next.ref], opts);
    await ok(['get', `s3://${bucket}/f`, 'again'], opts);
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'again')), data);
  });

test('a server that keeps refusing the request\'s time: the error names the clock, never the key or the permissions', async (t) => {
  const server = await runawayClockServer(t);
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  writeFileSync(join(home.dir, 'work', 'f'), 'data');
  const at = ['--endpoint-url', server.endpoint, '--ca-bundle', server.caBundle, '--json'];
  for (const args of [['get', 's3://skewed-bucket/k', 'out', '--key', key.ref], ['head', 's3://skewed-bucket/k', '--key', key.ref],
    ['put', 'f', 's3://skewed-bucket/k', '--key', key.ref]]) {
    const r = await run([...args, ...at], { home });
    assert.equal(r.code, 1, `${args[0]}: ${r.out}${r.stderr}`);
    const { error } = r.json();
    assert.equal(error.code, 'CLOCK_SKEW', `${args[0]}: ${error.message}`);
    assert.match(error.message, /refused the time of the request .*\(RequestTimeTooSkewed\): this machine's clock and the server's differ/);
    assert.doesNotMatch(error.message, /does not open|access denied/);
    assert.match(error.hint, /clock/);
  }
  assert.ok(server.requests() > 0);
});
