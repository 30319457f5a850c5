// A bucket as users have them: objects sse3 wrote, plain objects aws-cli uploaded without a key, objects aws-cli
// encrypted under a key sse3 has (never recorded, or overwriting a recorded one), and one under a key sse3 does not
// have. rotate -r, keys usage, sync down and verify each give the answer that holds for every object: plain ones are
// a state (counted, never an error, never a key's reason to stay), foreign ones are opened by the keys sse3 finds, and
// only the one no key here opens fails — alone, with the way in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient, AWS_CLI, type Home, makeKeyFile, manifestExport, manifestRows, ndjson, newBucket, newHome, ok, putData,
  run, runAws,
} from './support.js';

/** Keychain entries other test files make meanwhile would be keys sse3 finds: out of sight. */
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/sse3-test-bus' };

/** aws s3 cp of bytes to an object, plain or SSE-C with a raw key file: no sse3 tag, no manifest row. */
async function awsPut(home: Home, url: string, body: Buffer, keyPath?: string): Promise<void> {
  const file = join(home.dir, `body-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, body);
  const r = await runAws(['s3', 'cp', file, url, ...(keyPath ? ['--sse-c', 'AES256', '--sse-c-key', `fileb://${keyPath}`] : [])]);
  assert.equal(r.code, 0, r.stderr);
  rmSync(file);
}

/** What the server says of an object: 'plain', or whether it opens with a raw key ('opens' / 'refused'). */
async function serverState(bucket: string, key: string, raw: Buffer): Promise<'plain' | 'opens' | 'refused'> {
  const s3 = await import('@aws-sdk/client-s3');
  const client = await adminClient();
  const plain = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key })).then((h) => !h.SSECustomerAlgorithm, () => false);
  if (plain) return 'plain';
  return client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key, SSECustomerAlgorithm: 'AES256',
    SSECustomerKey: raw.toString('base64') })).then(() => 'opens' as const, () => 'refused' as const);
}

test('a bucket of plain, sse3-written and foreign-key objects through rotate -r, keys usage, sync down and verify',
  { skip: !AWS_CLI && 'aws-cli not installed', timeout: 300_000 }, async (t) => {
    const home = newHome();
    t.after(() => rmSync(home.dir, { recursive: true, force: true }));
    const bucket = await newBucket('mixed');
    const [k1, k2, k4] = await Promise.all(['k1.key', 'k2.key', 'k4.key'].map((n) => makeKeyFile(home, n)));
    const k3 = await makeKeyFile(home, 'k3.key', { inKeyDir: false });
    const content = new Map<string, Buffer>();
    const put = (name: string) => { const b = randomBytes(200 + content.size * 37); content.set(name, b); return b; };
    for (let i = 0; i < 6; i++) await putData(home, `s3://${bucket}/own/o${i}`, put(`own/o${i}`), k1.ref);
    for (let i = 0; i < 3; i++) await awsPut(home, `s3://${bucket}/plain/p${i}`, put(`plain/p${i}`));
    for (let i = 0; i < 3; i++) await awsPut(home, `s3://${bucket}/foreign/f${i}`, put(`foreign/f${i}`), k2.path);
    // Recorded by sse3 under k1, then overwritten by aws-cli with other content under k2.
    await putData(home, `s3://${bucket}/own/over`, randomBytes(500), k1.ref);
    await awsPut(home, `s3://${bucket}/own/over`, put('own/over'), k2.path);
    await awsPut(home, `s3://${bucket}/stranger`, put('stranger'), k3.path);
    const plainNames = [...content.keys()].filter((n) => n.startsWith('plain/'));
    const encrypted = [...content.keys()].filter((n) => !n.startsWith('plain/'));

    // 1. rotate -r to a new key: every encrypted object sse3 can open moves to k4 (the foreign ones by the keys it
    // finds), the plain ones are left as they are and counted, only the stranger fails (exit 3, the way in).
    const first = await run(['rotate', `s3://${bucket}`, '-r', '--to', k4.ref, '--json'], { home, env: noKeychain });
    assert.equal(first.code, 3, first.stderr);
    const lines = ndjson(first.out);
    assert.deepEqual(lines.at(-2), { summary: { ok: false, succeeded: encrypted.length - 1, failed: 1, plain: plainNames.length, deleted: 0 } });
    const byName = new Map(lines.slice(0, -2).map((l) => [l.url.replace(`s3://${bucket}/`, ''), l]));
    for (const n of plainNames) assert.equal(byName.get(n)?.status, 'plain', n);
    assert.equal(byName.get('stranger')?.ok, false);
    assert.equal(byName.get('stranger')?.error.code, 'NO_KEY');
    for (const n of encrypted.filter((x) => x !== 'stranger')) assert.equal(byName.get(n)?.status, 'rotated', n);
    for (const [name, k] of [['foreign/f0', k2], ['own/over', k2], ['own/o0', k1]] as const) {
      assert.equal(byName.get(name)?.oldFingerprint, k.fingerprint, `${name} was under ${k.fingerprint}`);
    }

    // 2. keys usage: k4 for every object sse3 could open, the plain ones apart, the stranger's key unknown.
    const usage = (await ok(['keys', 'usage', `s3://${bucket}`, '--json'], { home, env: noKeychain })).json();
    assert.deepEqual(usage.keys.map((k: { fingerprint: string; objects: number }) => [k.fingerprint, k.objects]),
      [[k4.fingerprint, encrypted.length - 1]]);
    assert.deepEqual([usage.plain.objects, usage.untagged.objects, usage.scanned], [plainNames.length, 1, content.size]);

    // The stranger's key brought into the key folder: the rerun rotates it alone (the rest is already under k4), and
    // the plain objects do not keep its key from being called free to retire.
    copyFileSync(k3.path, join(home.keyDir, 'k3.key'));
    const again = await run(['rotate', `s3://${bucket}`, '-r', '--to', k4.ref], { home, env: noKeychain });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`^${encrypted.length} ok, 0 failed, ${plainNames.length} not encrypted \\(plain objects, left as ` +
      `they are\\): encrypt them with: sse3 adopt s3://${bucket}/ --encrypt-plain --key REF$`, 'm'));
    assert.equal(again.out.split('\n').filter((l) => l.includes('already rotated, skipped')).length, encrypted.length - 1, again.out);
    assert.match(again.out, new RegExp(`rotated s3://${bucket}/stranger  ${k3.fingerprint} → ${k4.fingerprint}`));
    assert.match(again.stderr, new RegExp(`no object in s3://${bucket}/ needs key ${k3.fingerprint} any more`), 'plain objects keep no key');
    for (const k of [k1, k2, k3]) {
      const one = await ok(['keys', 'usage', k.fingerprint, `s3://${bucket}`], { home, env: noKeychain });
      assert.match(one.stderr + one.out, new RegExp(`no current object in these scopes needs key ${k.fingerprint}`));
    }
    const after = (await ok(['keys', 'usage', `s3://${bucket}`, '--json'], { home, env: noKeychain })).json();
    assert.deepEqual([after.keys.map((k: { fingerprint: string }) => k.fingerprint), after.plain.objects, after.untagged.objects],
      [[k4.fingerprint], plainNames.length, 0]);

    // On the server: every encrypted object opens with k4, the plain ones are still plain.
    for (const n of encrypted) assert.equal(await serverState(bucket, n, k4.raw), 'opens', n);
    for (const n of plainNames) assert.equal(await serverState(bucket, n, k4.raw), 'plain', n);
    const rows = await manifestRows(home);
    assert.deepEqual(rows.map((r) => [r.key, r.fingerprint]).sort(), encrypted.map((n) => [n, k4.fingerprint]).sort(),
      'one row per encrypted object, none for a plain one');
    assert.deepEqual((await manifestExport(home)).pendingRotations, []);

    // 3. sync down: every object's content, the plain ones counted and said; decrypted files owner-only.
    const down = join(home.dir, 'down');
    const sync = await run(['sync', `s3://${bucket}`, down, '--json'], { home, env: noKeychain });
    assert.equal(sync.code, 0, sync.stderr);
    const summary = ndjson(sync.out).at(-1).summary;
    assert.deepEqual([summary.downloaded, summary.plain, summary.failed], [content.size, plainNames.length, 0]);
    assert.match(sync.stderr, new RegExp(`${plainNames.length} object\\(s\\) were not encrypted \\(plain\\)`));
    for (const [name, bytes] of content) assert.deepEqual(readFileSync(join(down, name)), bytes, name);
    // sse3's own uploads recorded their file's mode, which the rotation kept and sync restores (a file made as putData
    // made them shows which); objects written by other clients record none, and are owner-only.
    writeFileSync(join(home.dir, 'as-put'), '');
    const putMode = statSync(join(home.dir, 'as-put')).mode & 0o777;
    for (const n of encrypted) {
      if (/^own\/o\d$/.test(n)) assert.equal(statSync(join(down, n)).mode & 0o777, putMode, `${n}: the mode recorded at upload`);
      else assert.equal(statSync(join(down, n)).mode & 0o077, 0, `${n}: no access for others`);
    }

    // 4. verify: every record holds.
    const verify = await run(['verify', `s3://${bucket}`, '--json'], { home, env: noKeychain });
    assert.equal(verify.code, 0, verify.stderr);
    assert.deepEqual(verify.summary().counts.ok, encrypted.length);
  });
