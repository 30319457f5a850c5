import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { adminClient, makeKeyFile, newBucket, newHome, ok, run } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** Every file under dir, as relative path → SHA-256. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = sha(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

test('s3 → s3 across buckets re-keys small and multipart objects; the source stays as it was', async () => {
  const home = newHome();
  const [from, to] = await Promise.all([newBucket('cpsrc'), newBucket('cpdst')]);
  const srcKey = await makeKeyFile(home, 'src.key');
  const dstKey = await makeKeyFile(home, 'dst.key');
  const work = join(home.dir, 'work');
  const files = { small: randomBytes(5000), big: randomBytes(20 * MiB + 11) };
  const etags: Record<string, string> = {};
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(work, name), data);
    etags[name] = (await ok(['put', name, `s3://${from}/in/${name}`, '--key', srcKey.ref, '--json'], { home })).json().etag;
  }

  for (const [name, data] of Object.entries(files)) {
    const c = (await ok(['cp', `s3://${from}/in/${name}`, `s3://${to}/copies/`, '--key', dstKey.ref, '--json'], { home })).json();
    assert.equal(c.ok, true);
    assert.equal(c.method, 'streamed', 'Ceph RGW cannot copy SSE-C objects server-side');
    assert.equal(c.source, `s3://${from}/in/${name}`);
    assert.equal(c.url, `s3://${to}/copies/${name}`);
    assert.equal(c.fingerprint, dstKey.fingerprint);
    assert.equal(c.sha256, sha(data));
    assert.equal(c.size, data.length);
    assert.equal(c.parts, name === 'big' ? 3 : 1);

    const got = await ok(['get', `s3://${to}/copies/${name}`, `${name}.copy`, '--key', dstKey.ref, '--json'], { home });
    assert.equal(got.json().checksumSource, 'manifest');
    assert.equal(sha(readFileSync(join(work, `${name}.copy`))), sha(data));
    const src = (await ok(['head', `s3://${from}/in/${name}`, '--key', srcKey.ref, '--json'], { home })).json();
    assert.equal(src.keyMatches, true, 'the source still opens with its key');
    assert.equal(src.etag, etags[name], 'the source was not rewritten');
    assert.equal(src.manifest.fingerprint, srcKey.fingerprint);
  }

  // Without --key the copy keeps the source's key.
  const same = (await ok(['cp', `s3://${from}/in/small`, `s3://${to}/same`, '--json'], { home })).json();
  assert.deepEqual([same.fingerprint, same.sha256], [srcKey.fingerprint, sha(files.small)]);
  const h = (await ok(['head', `s3://${to}/same`, '--key', srcKey.ref, '--json'], { home })).json();
  assert.equal(h.keyMatches, true);
  rmSync(home.dir, { recursive: true });
});

test('cp from an unencrypted object writes an SSE-C encrypted copy with the same bytes', async () => {
  const home = newHome();
  const bucket = await newBucket('cpplain');
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(7000);
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'plain.bin', Body: data }));
  const c = (await ok(['cp', `s3://${bucket}/plain.bin`, `s3://${bucket}/enc.bin`, '--key', key.ref, '--json'], { home })).json();
  assert.equal(c.method, 'streamed');
  assert.equal(c.sha256, sha(data));
  const h = (await ok(['head', `s3://${bucket}/enc.bin`, '--json'], { home })).json();
  assert.equal(h.sse.algorithm, 'AES256');
  assert.equal(h.keyMatches, true);
  // The stored object really is encrypted: a plain read is refused.
  await assert.rejects((await adminClient()).send(new s3.GetObjectCommand({ Bucket: bucket, Key: 'enc.bin' })));
  await ok(['get', `s3://${bucket}/enc.bin`, 'back'], { home });
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'back')), data);
});

test('cp local → s3 and s3 → local behave like put and get, stdin and stdout included', async () => {
  const home = newHome();
  const bucket = await newBucket('cpone');
  const key = await makeKeyFile(home, 'k.key');
  const work = join(home.dir, 'work');
  const data = randomBytes(3333);
  writeFileSync(join(work, 'report.pdf'), data);
  const up = (await ok(['cp', 'report.pdf', `s3://${bucket}/docs/`, '--key', key.ref, '--json'], { home })).json();
  assert.deepEqual([up.ok, up.url, up.fingerprint, up.sha256, up.size, up.parts],
    [true, `s3://${bucket}/docs/report.pdf`, key.fingerprint, sha(data), data.length, 1]);

  mkdirSync(join(work, 'into'));
  const down = (await ok(['cp', `s3://${bucket}/docs/report.pdf`, 'into', '--json'], { home })).json();
  assert.equal(down.path, join(work, 'into', 'report.pdf'));
  assert.equal(down.verified, true);
  assert.equal(down.fingerprint, key.fingerprint);
  assert.deepEqual(readFileSync(join(work, 'into', 'report.pdf')), data);

  const piped = randomBytes(2222);
  const fromStdin = (await ok(['cp', '-', `s3://${bucket}/piped`, '--key', key.ref, '--json'], { home, input: piped })).json();
  assert.equal(fromStdin.sha256, sha(piped));
  const toStdout = await ok(['cp', `s3://${bucket}/piped`, '-'], { home });
  assert.deepEqual(toStdout.stdout, piped);
  assert.deepEqual(readdirSync(work).sort(), ['into', 'report.pdf']);
});

test('cp --recursive: a local folder to an s3 prefix and back again, byte for byte', async () => {
  const home = newHome();
  const bucket = await newBucket('cprec');
  const key = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'photos');
  mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'alpha');
  writeFileSync(join(src, 'sub', 'b.txt'), 'beta');
  writeFileSync(join(src, 'sub', 'deeper', 'c.bin'), randomBytes(9 * MiB));
  writeFileSync(join(src, 'empty'), '');
  // A neighbour sharing the prefix's first letters must not be copied back.
  writeFileSync(join(home.dir, 'other'), 'other');
  await ok(['put', join(home.dir, 'other'), `s3://${bucket}/backup-other/x`, '--key', key.ref], { home });

  const up = await ok(['cp', '--recursive', src, `s3://${bucket}/backup/`, '--key', key.ref], { home });
  assert.equal(up.out.split('\n').filter((l) => l.startsWith('✓')).length, 4);
  assert.match(up.stderr, /^4 ok, 0 failed$/m);
  const down = await ok(['cp', '-r', `s3://${bucket}/backup`, join(home.dir, 'restored')], { home });
  assert.match(down.stderr, /^4 ok, 0 failed$/m);
  assert.deepEqual(tree(join(home.dir, 'restored')), tree(src));
});

test('cp --recursive s3 → local: an object whose key is unavailable fails alone, exit 3 (the key problem), no partial file', async () => {
  const home = newHome();
  const bucket = await newBucket('cpfail');
  const key = await makeKeyFile(home, 'k.key');
  const elsewhere = await makeKeyFile(home, 'elsewhere.key', { inKeyDir: false });
  const work = join(home.dir, 'work');
  const data = { 'one.txt': randomBytes(100), 'sub/two.txt': randomBytes(200), 'sub/three.txt': randomBytes(300) };
  for (const [name, bytes] of Object.entries(data)) {
    writeFileSync(join(work, 'f'), bytes);
    await ok(['put', 'f', `s3://${bucket}/set/${name}`, '--key', name === 'sub/two.txt' ? elsewhere.ref : key.ref], { home });
  }
  // The home remembers the file a key was used from: gone from there, the key is unavailable.
  rmSync(elsewhere.path);
  const r = await run(['cp', '--recursive', `s3://${bucket}/set/`, 'out'], { home });
  assert.equal(r.code, 3, `a batch exits with its most severe item's status: ${r.stderr}`);
  assert.match(r.stderr, /^2 ok, 1 failed$/m);
  assert.match(r.stderr, new RegExp(`^✗ s3://${bucket}/set/sub/two.txt needs the key with fingerprint ${elsewhere.fingerprint}`, 'm'),
    'the failure names the object once');
  assert.deepEqual(tree(join(work, 'out')), { 'one.txt': sha(data['one.txt']), 'sub/three.txt': sha(data['sub/three.txt']) });

  // With --json stdout is NDJSON: one object per line, the failure and the summary included.
  const j = await run(['cp', '--recursive', `s3://${bucket}/set/`, 'out-json', '--json'], { home });
  assert.equal(j.code, 3);
  assert.deepEqual(j.summary(), { succeeded: 2, failed: 1, plain: 0, ok: false });
  assert.equal(j.error().code, 'BATCH', 'the error line last');
  const failed = j.items().filter((l) => l.ok === false);
  assert.deepEqual(failed.map((l) => [l.url, l.key, l.error.code]), [[`s3://${bucket}/set/sub/two.txt`, 'set/sub/two.txt', 'NO_KEY']]);
});

test('cp --recursive s3 → local never writes outside the destination folder', async () => {
  const home = newHome();
  const bucket = await newBucket('cptrav');
  const key = await makeKeyFile(home, 'k.key');
  const work = join(home.dir, 'work');
  writeFileSync(join(work, 'f'), 'payload');
  await ok(['put', 'f', `s3://${bucket}/set/fine.txt`, '--key', key.ref], { home });
  await ok(['put', 'f', `s3://${bucket}/set/../../escaped.txt`, '--key', key.ref], { home });
  mkdirSync(join(work, 'deep', 'er'), { recursive: true });
  const r = await run(['cp', '--recursive', `s3://${bucket}/set/`, 'out'], { home, cwd: join(work, 'deep', 'er') });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^1 ok, 1 failed$/m);
  assert.match(r.stderr, /escaped\.txt cannot be a file under .*out: its key has a "\." or "\.\." segment; not written/);
  assert.deepEqual(tree(work), { f: sha(Buffer.from('payload')), 'deep/er/out/fine.txt': sha(Buffer.from('payload')) });
});

test('cp --recursive s3 → local does not write through a folder link inside the destination that leads outside it', async () => {
  const home = newHome();
  const bucket = await newBucket('cplinkdir');
  const key = await makeKeyFile(home, 'k.key');
  const work = join(home.dir, 'work');
  writeFileSync(join(work, 'f'), 'payload');
  await ok(['put', 'f', `s3://${bucket}/set/fine.txt`, '--key', key.ref], { home });
  await ok(['put', 'f', `s3://${bucket}/set/linked/planted.txt`, '--key', key.ref], { home });
  const out = join(home.dir, 'out');
  const elsewhere = join(home.dir, 'elsewhere');
  mkdirSync(out);
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, join(out, 'linked'));
  const r = await run(['cp', '--recursive', `s3://${bucket}/set/`, out], { home });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^1 ok, 1 failed$/m);
  assert.match(r.stderr, /planted\.txt would be written outside .*out \(through .*out\/linked\); not written/);
  assert.deepEqual(readdirSync(elsewhere), [], 'nothing was written through the link');
  assert.deepEqual(readdirSync(out).sort(), ['fine.txt', 'linked']);
  assert.equal(readFileSync(join(out, 'fine.txt'), 'utf8'), 'payload');
});

test('cp --recursive follows symbolic links to files and folders (loop-safe) and reports dangling ones (exit 1)', async () => {
  const home = newHome();
  const bucket = await newBucket('cplink');
  const key = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'plain'), 'plain');
  writeFileSync(join(home.dir, 'target.txt'), 'the target');
  mkdirSync(join(home.dir, 'elsewhere'));
  writeFileSync(join(home.dir, 'elsewhere', 'inner'), 'inner');
  symlinkSync(join(home.dir, 'target.txt'), join(src, 'linked'));
  symlinkSync(join(home.dir, 'elsewhere'), join(src, 'folder-link'));
  symlinkSync(src, join(src, 'sub', 'loop'));
  symlinkSync(join(home.dir, 'gone'), join(src, 'dangling'));

  const up = await run(['cp', '-r', src, `s3://${bucket}/up/`, '--key', key.ref, '--json'], { home });
  assert.equal(up.code, 1, up.stderr);
  const lines = up.items();
  assert.deepEqual(up.summary(), { succeeded: 3, failed: 2, ok: false });
  assert.deepEqual(lines.filter((l) => l.ok).map((l) => l.key).sort(), ['up/folder-link/inner', 'up/linked', 'up/plain']);
  const failed = lines.filter((l) => l.ok === false);
  assert.deepEqual(failed.map((l) => l.error.code), ['LOCAL_IO', 'LOCAL_IO']);
  assert.match(failed.map((l) => l.error.message).join('\n'), /dangling: a symbolic link to .*gone, which does not exist; not copied/);
  assert.match(failed.map((l) => l.error.message).join('\n'), /loop: leads back to a folder it is in \(a symbolic link loop\); not copied/);
  const human = await run(['cp', '-r', src, `s3://${bucket}/again/`, '--key', key.ref], { home });
  assert.equal(human.code, 1);
  assert.match(human.stderr, /^✗ \S*dangling: a symbolic link to .*which does not exist; not copied$/m, 'the failure names the path once');
  assert.match(human.stderr, /^3 ok, 2 failed$/m);
  const back = await ok(['get', `s3://${bucket}/up/linked`, '-'], { home });
  assert.equal(back.out, 'the target');
});
