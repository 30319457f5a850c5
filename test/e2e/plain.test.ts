// A bucket holding plain (unencrypted) objects next to SSE-C ones: plain objects are a state, not an error. get, cp and
// sync download them with a warning and count them; rotate leaves them with the hint to encrypt them; keys usage counts
// them apart, so they never keep a key's retirement in doubt; head and ls show them as not encrypted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient, AWS_CLI, type Home, makeKeyFile, manifestRows, ndjson, newBucket, newHome, ok, putData, run, runAws,
} from './harness.js';

const skip = !AWS_CLI && 'aws-cli not installed';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** Keychain entries other test files make meanwhile would be keys sse3 finds: out of sight. */
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/sse3-test-bus' };

/** aws s3 cp of a local file, unencrypted, as the guide's users upload what needs no key. */
async function awsPlain(home: Home, url: string, body: string): Promise<void> {
  const file = join(home.dir, `plain-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, body);
  const r = await runAws(['s3', 'cp', file, url]);
  assert.equal(r.code, 0, r.stderr);
  rmSync(file);
}

/** Three SSE-C objects under k1 written by sse3, and one plain object aws-cli wrote (in plain/). */
async function mixedBucket(t: { after: (fn: () => void) => void }) {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('mixed');
  const k1 = await makeKeyFile(home, 'k1.key');
  const k2 = await makeKeyFile(home, 'k2.key');
  const data: Record<string, Buffer> = { 'a.bin': randomBytes(300), 'b.bin': randomBytes(400), 'plain/enc.bin': randomBytes(500) };
  for (const [name, bytes] of Object.entries(data)) await putData(home, `s3://${bucket}/${name}`, bytes, k1.ref);
  const plainBody = 'written by aws s3 cp, without a key';
  await awsPlain(home, `s3://${bucket}/plain/readme.txt`, plainBody);
  return { home, bucket, k1, k2, data, plainBody };
}

const isPlainOnServer = async (bucket: string, key: string) => {
  const s3 = await import('@aws-sdk/client-s3');
  return (await (await adminClient()).send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key })).then((h) => !h.SSECustomerAlgorithm,
    () => false));
};

test('get, cp and sync download a plain object with a warning and count it; the encrypted ones are verified as before',
  { skip, timeout: 180_000 }, async (t) => {
    const { home, bucket, plainBody, data } = await mixedBucket(t);
    const url = `s3://${bucket}/plain/readme.txt`;
    const warning = `warning: ${url} is not encrypted (a plain object, no SSE-C key): downloaded as it is; integrity not verified`;

    const got = await run(['get', url, 'readme.txt', '--json'], { home });
    assert.equal(got.code, 0, got.stderr);
    assert.ok(got.stderr.split('\n').includes(warning), got.stderr);
    assert.equal(readFileSync(join(home.dir, 'work', 'readme.txt'), 'utf8'), plainBody);
    const j = got.json();
    assert.deepEqual([j.encrypted, j.fingerprint, j.verified, j.checksumSource, j.sha256], [false, null, false, 'none', sha(plainBody)]);
    const human = await ok(['get', url, '-'], { home });
    assert.equal(human.out, plainBody);

    const cp = await run(['cp', '-r', `s3://${bucket}/`, 'all', '--json'], { home });
    assert.equal(cp.code, 0, cp.stderr);
    assert.deepEqual(ndjson(cp.out).at(-1), { summary: { ok: true, succeeded: 4, failed: 0, plain: 1 } });
    assert.ok(cp.stderr.split('\n').includes(warning), cp.stderr);
    assert.equal(readFileSync(join(home.dir, 'work', 'all', 'plain', 'readme.txt'), 'utf8'), plainBody);
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'all', 'plain', 'enc.bin')), data['plain/enc.bin']);
    const cpHuman = await ok(['cp', '-r', `s3://${bucket}/plain/`, 'again'], { home });
    assert.match(cpHuman.stderr, /^2 ok, 0 failed; 1 of them not encrypted \(plain objects, downloaded as they are\)$/m);

    const down = join(home.dir, 'down');
    const sync = await run(['sync', `s3://${bucket}/plain/`, down, '--json'], { home });
    assert.equal(sync.code, 0, sync.stderr);
    const lines = ndjson(sync.out);
    assert.deepEqual(lines.at(-1), { summary: { ok: true, succeeded: 2, uploaded: 0, downloaded: 2, deleted: 0, unchanged: 0, failed: 0, bytes: 500 + plainBody.length,
      skipped: 0, plain: 1, dryRun: false } });
    const plainLine = lines.find((l) => l.url === url);
    assert.deepEqual([plainLine.encrypted, plainLine.verified, plainLine.fingerprint], [false, false, null]);
    assert.equal(lines.find((l) => l.url === `s3://${bucket}/plain/enc.bin`).verified, true);
    assert.match(sync.stderr, new RegExp(`1 object\\(s\\) were not encrypted \\(plain\\): downloaded as they are, unverified, and again ` +
      `by every sync, since sse3 keeps no record of plain objects; encrypt them with: sse3 adopt s3://${bucket}/plain/ --encrypt-plain --key REF`));
    assert.equal(readFileSync(join(down, 'readme.txt'), 'utf8'), plainBody);
    const syncHuman = await ok(['sync', `s3://${bucket}/plain/`, join(home.dir, 'down2')], { home });
    assert.match(syncHuman.stderr, /^0 uploaded, 2 downloaded \(1 of them not encrypted\), 0 deleted, 0 unchanged, 0 failed/m);

    // Nothing records a plain object as encrypted; it is still plain on the server.
    const rows = await manifestRows(home);
    assert.deepEqual(rows.map((r) => r.key).sort(), ['a.bin', 'b.bin', 'plain/enc.bin']);
    assert.equal(await isPlainOnServer(bucket, 'plain/readme.txt'), true);
  });

test('a plain object with an sse3-sha256 tag is checked against it: a match is verified, a mismatch is exit 4 and writes nothing',
  { skip, timeout: 60_000 }, async (t) => {
    const { home, bucket, plainBody } = await mixedBucket(t);
    const s3 = await import('@aws-sdk/client-s3');
    const tag = async (value: string) => (await adminClient()).send(new s3.PutObjectTaggingCommand({ Bucket: bucket, Key: 'plain/readme.txt',
      Tagging: { TagSet: [{ Key: 'sse3-sha256', Value: value }] } }));
    await tag(sha(plainBody));
    const good = await run(['get', `s3://${bucket}/plain/readme.txt`, 'good', '--json'], { home });
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual([good.json().encrypted, good.json().verified, good.json().checksumSource], [false, true, 'tag']);
    assert.match(good.stderr, /is not encrypted \(a plain object, no SSE-C key\): downloaded as it is; checked against its own sse3-sha256 \(tag\)/);
    await tag('f'.repeat(64));
    const bad = await run(['get', `s3://${bucket}/plain/readme.txt`, 'bad'], { home });
    assert.equal(bad.code, 4, bad.stderr);
    assert.match(bad.stderr, /SHA-256 of the decrypted data does not match the one recorded at upload \(tag\)/);
    assert.equal(existsSync(join(home.dir, 'work', 'bad')), false);
  });

test('rotate -r leaves plain objects as they are, counted, with the --encrypt-plain hint; they never keep a key from retirement',
  { skip, timeout: 180_000 }, async (t) => {
    const { home, bucket, k1, k2 } = await mixedBucket(t);
    const human = await run(['rotate', `s3://${bucket}`, '-r', '--to', k2.ref], { home, env: noKeychain });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stderr, new RegExp(`^3 ok, 0 failed, 1 not encrypted \\(plain objects, left as they are\\): encrypt them with: ` +
      `sse3 adopt s3://${bucket}/ --encrypt-plain --key REF$`, 'm'));
    // Nothing to do for it: said on stderr; stdout has the objects rotated.
    assert.match(human.stderr, new RegExp(`- s3://${bucket}/plain/readme.txt: not encrypted \\(a plain object\\), nothing to rotate`));
    assert.doesNotMatch(human.out, /readme\.txt/);
    // The whole bucket was scanned: the plain object needs no key, so k1 is not needed there any more.
    assert.match(human.stderr, new RegExp(`no object in s3://${bucket}/ needs key ${k1.fingerprint} any more \\(4 object version\\(s\\) ` +
      'checked by their tags\\)'));
    assert.equal(await isPlainOnServer(bucket, 'plain/readme.txt'), true, 'left as it was');

    const r = await run(['rotate', `s3://${bucket}`, '-r', '--to', k2.ref, '--json'], { home, env: noKeychain });
    assert.equal(r.code, 0, r.stderr);
    const lines = ndjson(r.out);
    assert.deepEqual(lines.at(-1), { summary: { ok: true, succeeded: 3, failed: 0, plain: 1, deleted: 0 } });
    assert.deepEqual(lines.slice(0, -1).map((l) => [l.url.replace(`s3://${bucket}/`, ''), l.status]).sort(),
      [['a.bin', 'already'], ['b.bin', 'already'], ['plain/enc.bin', 'already'], ['plain/readme.txt', 'plain']]);

    const one = await run(['rotate', `s3://${bucket}/plain/readme.txt`, '--to', k2.ref, '--json'], { home });
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual([one.json().status, one.json().retirement], ['plain', []]);
  });

test('keys usage counts plain objects apart from those whose key is unknown; head and ls show them as not encrypted',
  { skip, timeout: 120_000 }, async (t) => {
    const { home, bucket, k1 } = await mixedBucket(t);
    const usage = await ok(['keys', 'usage', `s3://${bucket}`, '--json'], { home });
    const u = usage.json();
    assert.deepEqual(u.keys.map((k: { fingerprint: string; objects: number }) => [k.fingerprint, k.objects]), [[k1.fingerprint, 3]]);
    assert.deepEqual([u.plain, u.untagged, u.scanned], [{ objects: 1, versions: 1 }, { objects: 0, versions: 0 }, 4]);
    const human = await ok(['keys', 'usage', `s3://${bucket}`], { home });
    assert.match(human.out, /^1 object\(s\) not encrypted \(plain\): they need no key$/m);
    assert.doesNotMatch(human.out, /key is unknown/);

    const head = await ok(['head', `s3://${bucket}/plain/readme.txt`, '--json'], { home });
    assert.deepEqual([head.json().sse.algorithm, head.json().fingerprint, head.json().manifest], [null, null, null]);
    const ls = (await ok(['ls', `s3://${bucket}/plain/`, '--json'], { home })).items();
    assert.deepEqual(ls.map((l) => [l.key, l.encryption]), [['plain/enc.bin', 'sse-c'], ['plain/readme.txt', 'none']]);
  });
