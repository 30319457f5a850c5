// Objects sse3 recorded that aws-cli then overwrote under another key: when the recorded key is refused and no tag
// explains it, the keys sse3 can find are tried; the one that opens the object is used and recorded, and said in one
// line. The new content is never checked against the old record, nor recorded as if it were the old content. Only
// when no key here opens it is it exit 3, saying how to bring the key in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, AWS_CLI, type Home, makeKeyFile, ndjson, newBucket, newHome, ok, putData, run, runAws } from './harness.js';

const skip = !AWS_CLI && 'aws-cli not installed';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Keychain entries other test files make meanwhile would be keys sse3 finds: out of sight. */
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/sse3-test-bus' };

/** aws s3 cp of bytes to an object, SSE-C encrypted with a raw key file (no sse3 tags, no manifest row). */
async function awsPut(home: Home, url: string, body: Buffer, keyPath: string): Promise<void> {
  const file = join(home.dir, `body-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, body);
  const r = await runAws(['s3', 'cp', file, url, '--sse-c', 'AES256', '--sse-c-key', `fileb://${keyPath}`]);
  assert.equal(r.code, 0, r.stderr);
  rmSync(file);
}

/** Whether the object opens with a raw key, asked with the admin client (not sse3). */
async function opensWith(bucket: string, key: string, raw: Buffer): Promise<boolean> {
  const s3 = await import('@aws-sdk/client-s3');
  return (await adminClient()).send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key, SSECustomerAlgorithm: 'AES256',
    SSECustomerKey: raw.toString('base64') })).then(() => true, () => false);
}

/**
 * A home with k1 and k2 in its key folder (k3 kept elsewhere, unknown to sse3); `names` written by sse3 under k1, then
 * overwritten by aws-cli with other content under k2.
 */
async function overwritten(t: { after: (fn: () => void) => void }, names: string[]) {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('overwritten');
  const k1 = await makeKeyFile(home, 'k1.key');
  const k2 = await makeKeyFile(home, 'k2.key');
  const k3 = await makeKeyFile(home, 'k3.key', { inKeyDir: false });
  const now: Record<string, Buffer> = {};
  for (const name of names) {
    await putData(home, `s3://${bucket}/${name}`, randomBytes(1000), k1.ref);
    now[name] = randomBytes(700);
    await awsPut(home, `s3://${bucket}/${name}`, now[name], k2.path);
  }
  const row = async (name: string) => ndjson((await ok(['manifest', 'list', `s3://${bucket}/`, '--json'], { home })).out)
    .find((r) => r.key === name);
  return { home, bucket, k1, k2, k3, now, row };
}

const updatedLine = (url: string, from: string, to: string, tail: string) =>
  `warning: ${url}: key ${from} recorded for it no longer opens it; key ${to} does (written outside sse3): record updated; ${tail}`;

test('get and cp of an object overwritten under another key sse3 has: downloaded with that key, the record replaced, said once',
  { skip, timeout: 120_000 }, async (t) => {
    const { home, bucket, k1, k2, now, row } = await overwritten(t, ['doc', 'copied']);
    const url = `s3://${bucket}/doc`;
    const got = await run(['get', url, 'doc', '--json'], { home, env: noKeychain });
    assert.equal(got.code, 0, got.stderr);
    const line = updatedLine(url, k1.fingerprint, k2.fingerprint, 'integrity not verified');
    assert.deepEqual(got.stderr.split('\n').filter((l) => l.startsWith('warning: s3://')), [line], 'one line says it');
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'doc')), now.doc);
    const j = got.json();
    assert.deepEqual([j.fingerprint, j.verified, j.recordUpdated], [k2.fingerprint, false, line.slice('warning: '.length)]);
    // The record is the object as it is now: its key, size and the SHA-256 of what was downloaded; no longer the old content's.
    const r = await row('doc');
    assert.deepEqual([r.fingerprint, r.size, r.sha256], [k2.fingerprint, 700, sha(now.doc)]);
    const again = await run(['get', url, '-', '--json'], { home });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /warning/, 'said once');

    const cp = await run(['cp', `s3://${bucket}/copied`, 'copied'], { home, env: noKeychain });
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stderr, new RegExp(`key ${k1.fingerprint} recorded for it no longer opens it; key ${k2.fingerprint} does`));
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'copied')), now.copied);
  });

test('head, verify, sync down and rotate of overwritten objects find the key that opens them and record it', { skip, timeout: 180_000 },
  async (t) => {
    const { home, bucket, k1, k2, now, row } = await overwritten(t, ['head', 'v/verify', 's/synced', 'rotated']);
    const head = await run(['head', `s3://${bucket}/head`, '--json'], { home, env: noKeychain });
    assert.equal(head.code, 0, head.stderr);
    const h = head.json();
    assert.deepEqual([h.fingerprint, h.keyMatches, h.keyFoundBy, h.manifest.fingerprint, h.manifest.size], [k2.fingerprint, true,
      'search', k2.fingerprint, 700]);
    assert.equal(h.recordUpdated, updatedLine(`s3://${bucket}/head`, k1.fingerprint, k2.fingerprint, 'its content was not checked')
      .slice('warning: '.length));
    assert.equal((await row('head')).sha256, null, 'no SHA-256 is recorded for content nobody read');

    const verify = await run(['verify', `s3://${bucket}/v/`, '--json'], { home, env: noKeychain });
    assert.equal(verify.code, 0, verify.stderr);
    const v = verify.summary();
    assert.deepEqual(verify.items().map((o: { status: string; fingerprint: string }) => [o.status, o.fingerprint]), [['overwritten', k2.fingerprint]]);
    assert.equal(v.counts.overwritten, 1);
    assert.equal((await row('v/verify')).fingerprint, k2.fingerprint);
    const verified = await ok(['verify', `s3://${bucket}/v/`, '--json'], { home });
    assert.equal(verified.items()[0].status, 'ok', 'the record now holds');

    const down = join(home.dir, 'down');
    const sync = await run(['sync', `s3://${bucket}/s/`, down, '--json'], { home, env: noKeychain });
    assert.equal(sync.code, 0, sync.stderr);
    assert.deepEqual(readFileSync(join(down, 'synced')), now['s/synced']);
    assert.match(sync.stderr, new RegExp(`key ${k1.fingerprint} recorded for it no longer opens it; key ${k2.fingerprint} does`));
    assert.equal((await row('s/synced')).fingerprint, k2.fingerprint);

    const rotate = await run(['rotate', `s3://${bucket}/rotated`, '--to', k1.ref, '--json'], { home, env: noKeychain });
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.deepEqual([rotate.json().status, rotate.json().oldFingerprint, rotate.json().newFingerprint], ['rotated', k2.fingerprint, k1.fingerprint]);
    assert.match(rotate.stderr, new RegExp(`key ${k1.fingerprint} recorded for it no longer opens it; key ${k2.fingerprint} does`));
    assert.equal(await opensWith(bucket, 'rotated', k1.raw), true);
    const back = await ok(['get', `s3://${bucket}/rotated`, '-'], { home });
    assert.deepEqual(back.stdout, now.rotated, 'the content the other client wrote, re-keyed');
  });

test('the same content re-uploaded under another key is a re-key: verified against the record, which keeps its SHA-256',
  { skip, timeout: 60_000 }, async (t) => {
    const home = newHome();
    t.after(() => rmSync(home.dir, { recursive: true, force: true }));
    const bucket = await newBucket('rekeyed');
    const k1 = await makeKeyFile(home, 'k1.key');
    const k2 = await makeKeyFile(home, 'k2.key');
    const data = randomBytes(900);
    await putData(home, `s3://${bucket}/same`, data, k1.ref);
    await awsPut(home, `s3://${bucket}/same`, data, k2.path);
    const got = await run(['get', `s3://${bucket}/same`, 'same', '--json'], { home, env: noKeychain });
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual([got.json().verified, got.json().checksumSource], [true, 'manifest']);
    const row = ndjson((await ok(['manifest', 'list', '--json'], { home })).out).find((r) => r.key === 'same');
    assert.deepEqual([row.fingerprint, row.size, row.sha256], [k2.fingerprint, 900, sha(data)]);
    assert.match(got.stderr, new RegExp(`key ${k1.fingerprint} recorded for it no longer opens it; key ${k2.fingerprint} does ` +
      '\\(written outside sse3, re-keyed\\): record updated; the content is the one recorded \\(SHA-256 verified\\)'));
  });

test('an object overwritten under a key sse3 does not have: exit 3 naming the way in, nothing written, the record kept; --key opens it',
  { skip, timeout: 120_000 }, async (t) => {
    const { home, bucket, k1, k3 } = await overwritten(t, []);
    await putData(home, `s3://${bucket}/gone`, randomBytes(1000), k1.ref);
    const other = randomBytes(600);
    await awsPut(home, `s3://${bucket}/gone`, other, k3.path);
    const before = (await ok(['manifest', 'list', '--json'], { home })).out;
    for (const args of [['get', `s3://${bucket}/gone`, 'gone'], ['head', `s3://${bucket}/gone`], ['cp', `s3://${bucket}/gone`, 'gone']]) {
      const r = await run(args, { home, env: noKeychain });
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: s3://${bucket}/gone: key ${k1.fingerprint} recorded for it no longer opens it, and none ` +
        'of the other \\d+ key\\(s\\) sse3 can find does: it was written outside sse3 under a key that is not here$', 'm'));
      assert.match(r.stderr, new RegExp(`^hint: pass the key that opens it with --key REF, or bring it in \\(sse3 keys import\\) and ` +
        `record the object again with: sse3 adopt s3://${bucket}/$`, 'm'));
    }
    assert.equal(existsSync(join(home.dir, 'work', 'gone')), false);
    assert.equal((await ok(['manifest', 'list', '--json'], { home })).out, before, 'the record was kept');
    // The key passed as the hint says: it opens the object, which is downloaded as it is now (never checked against the old record).
    const given = await run(['get', `s3://${bucket}/gone`, 'gone', '--key', k3.ref, '--json'], { home });
    assert.equal(given.code, 0, given.stderr);
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'gone')), other);
    assert.match(given.stderr, new RegExp(`key ${k1.fingerprint} recorded for it no longer opens it; key ${k3.fingerprint} does`));
  });

test('an object no record names the key of (aws-cli wrote it) is opened by trying the keys sse3 has; none: exit 3 with the adopt hint',
  { skip, timeout: 60_000 }, async (t) => {
    const { home, bucket, k2, k3 } = await overwritten(t, []);
    const mine = randomBytes(300);
    await awsPut(home, `s3://${bucket}/foreign`, mine, k2.path);
    await awsPut(home, `s3://${bucket}/stranger`, randomBytes(300), k3.path);
    const got = await run(['get', `s3://${bucket}/foreign`, '-'], { home, env: noKeychain });
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.stdout, mine);
    assert.match(got.stderr, new RegExp(`^warning: s3://${bucket}/foreign: no record names its key; key ${k2.fingerprint} opens it ` +
      '\\(not written by sse3\\): recorded; integrity not verified$', 'm'));
    const none = await run(['get', `s3://${bucket}/stranger`, 'stranger'], { home, env: noKeychain });
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, new RegExp(`^error: sse3 has no record of which key encrypted s3://${bucket}/stranger, and none of the \\d+ ` +
      'key\\(s\\) it can find opens it$', 'm'));
    assert.match(none.stderr, new RegExp(`^hint: .*sse3 adopt s3://${bucket}/$`, 'm'));
  });
