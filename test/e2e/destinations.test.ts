// What get writes to: a character device or FIFO is written directly (never replaced), a symbolic link is followed
// to its target, anything else is refused. Every device, FIFO, socket and link lives in a temporary folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, ok, overwriteEncrypted, putData, run } from './harness.js';

/** A character device with /dev/null's numbers (1,3), made in the test's own folder: writing to it discards the data. */
function nullDevice(dir: string, name = 'null'): string {
  const path = join(dir, name);
  execFileSync('mknod', [path, 'c', '1', '3']);
  return path;
}

const isNullDevice = (path: string) => {
  const st = lstatSync(path);
  return st.isCharacterDevice() && st.rdev === statSync('/dev/null').rdev;
};

/** Files a download left beside its destination, temporary ones included. */
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.part'));

async function setup(): Promise<{ home: Home; bucket: string; url: string; data: Buffer; dir: string; key: Awaited<ReturnType<typeof makeKeyFile>> }> {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(9 * 1024 * 1024 + 123); // several ranges, multipart
  await putData(home, `s3://${bucket}/obj`, data, key.ref);
  const dir = join(home.dir, 'dest');
  mkdirSync(dir);
  return { home, bucket, url: `s3://${bucket}/obj`, data, dir, key };
}

/** A reader of a FIFO that gives up after `seconds` (so a get that never writes to it cannot hang the test). */
function fifoReader(path: string, seconds: number, bytes?: number) {
  const child = spawn('timeout', [String(seconds), ...(bytes === undefined ? ['cat', path] : ['head', '-c', String(bytes), path])],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  return new Promise<{ code: number | null; data: Buffer }>((resolve) => child.on('close', (code) => resolve({ code, data: Buffer.concat(chunks) })));
}

test('get into a character device writes into it and leaves the device in place; a failed check says the data went there', async () => {
  const { home, url, dir, bucket, key } = await setup();
  const dev = nullDevice(dir);
  const r = await ok(['get', url, dev, '--json'], { home });
  assert.equal(r.json().verified, true);
  assert.ok(isNullDevice(dev), 'still the character device, not a regular file');
  assert.deepEqual(leftovers(dir), []);

  // Through a symbolic link, as /dev/stdout is one: the link and the device both stay.
  symlinkSync(dev, join(dir, 'stdout'));
  await ok(['get', url, join(dir, 'stdout')], { home });
  assert.ok(lstatSync(join(dir, 'stdout')).isSymbolicLink());
  assert.ok(isNullDevice(dev));

  await overwriteEncrypted(bucket, 'obj', randomBytes(9 * 1024 * 1024 + 123), key.raw);
  const bad = await run(['get', url, dev], { home });
  assert.equal(bad.code, 4, bad.stderr);
  assert.match(bad.stderr, new RegExp(`SHA-256 .* does not match .*; the data was already written to ${dev} \\(a character device\\)`));
  assert.doesNotMatch(bad.stderr, /nothing was written/);
  assert.ok(isNullDevice(dev));
});

test('get into a FIFO: its reader receives the data and the FIFO stays; a reader that leaves early is an error', async () => {
  const { home, url, dir, data } = await setup();
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const reader = fifoReader(fifo, 30);
  await ok(['get', url, fifo], { home });
  const got = await reader;
  assert.equal(got.code, 0, 'the reader got its end of file instead of timing out');
  assert.ok(got.data.equals(data), `the reader received the object (${got.data.length} of ${data.length} bytes)`);
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  assert.deepEqual(leftovers(dir), []);

  const early = fifoReader(fifo, 30, 1000);
  const r = await run(['get', url, fifo], { home });
  assert.equal((await early).data.length, 1000);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`error: the reading end was closed while writing ${fifo}`));
  assert.ok(lstatSync(fifo).isFIFO());
});

test('get onto a symbolic link follows it: the target is replaced, the link stays, nothing is left beside either', async () => {
  const { home, url, dir, data } = await setup();
  mkdirSync(join(dir, 'real'));
  const target = join(dir, 'real', 'file.bin');
  writeFileSync(target, 'old content');
  symlinkSync(join('real', 'file.bin'), join(dir, 'link'));
  symlinkSync('link', join(dir, 'link2')); // a chain of links
  for (const name of ['link', 'link2']) {
    writeFileSync(target, 'old content');
    await ok(['get', url, join(dir, name)], { home });
    assert.ok(lstatSync(join(dir, name)).isSymbolicLink(), `${name} is still a link`);
    assert.ok(readFileSync(target).equals(data), 'the target holds the object');
  }
  assert.equal(readlinkSync(join(dir, 'link')), join('real', 'file.bin'));
  assert.deepEqual([...leftovers(dir), ...leftovers(join(dir, 'real'))], []);
});

test('get refuses block devices, sockets and dangling links (exit 2) and leaves them alone', async () => {
  const { home, url, dir } = await setup();
  const block = join(dir, 'disk');
  execFileSync('mknod', [block, 'b', '240', '0']); // a device number no driver has: it could not be opened anyway
  const sock = join(dir, 'sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(sock, r));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  try {
    for (const [path, what] of [[block, /is a block device/], [sock, /is a socket/], [join(dir, 'dangling'), /is a symbolic link to .*nowhere, which does not exist/]] as const) {
      const r = await run(['get', url, path], { home });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, what);
    }
    assert.ok(lstatSync(block).isBlockDevice());
    assert.ok(lstatSync(sock).isSocket());
    assert.ok(lstatSync(join(dir, 'dangling')).isSymbolicLink());
    assert.deepEqual(readdirSync(dir).sort(), ['dangling', 'disk', 'sock']);
  } finally {
    server.close();
  }
});

test('cp -r to a folder: symbolic links to files are followed, a FIFO or device in the way is refused (never waited on)', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  const files = { a: randomBytes(1000), b: randomBytes(2000), c: randomBytes(3000) };
  for (const [name, data] of Object.entries(files)) await putData(home, `s3://${bucket}/t/${name}`, data, key.ref);
  const out = join(home.dir, 'restored');
  mkdirSync(out);
  writeFileSync(join(home.dir, 'a-target'), 'old');
  symlinkSync(join(home.dir, 'a-target'), join(out, 'a'));
  execFileSync('mkfifo', [join(out, 'b')]);
  nullDevice(out, 'c');
  const r = await run(['cp', '-r', `s3://${bucket}/t`, out, '--json'], { home });
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(r.summary(), { succeeded: 1, failed: 2, plain: 0, ok: false });
  assert.match(r.stderr + r.out, /restored\/b is a FIFO; a recursive download writes regular files only/);
  assert.match(r.stderr + r.out, /restored\/c is a character device; a recursive download writes regular files only/);
  assert.ok(lstatSync(join(out, 'a')).isSymbolicLink());
  assert.ok(readFileSync(join(home.dir, 'a-target')).equals(files.a));
  assert.ok(lstatSync(join(out, 'b')).isFIFO());
  assert.ok(isNullDevice(join(out, 'c')));
});

test('a destination name of 255 bytes (the usual limit) is written by get, cp -r and sync down: the temporary name is short', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  const name = `${'é'.repeat(100)}${'n'.repeat(51)}.bin`;
  assert.equal(Buffer.byteLength(name), 255);
  const data = randomBytes(300 * 1024);
  await putData(home, `s3://${bucket}/t/${name}`, data, key.ref);
  const [got, copied, synced] = ['got', 'copied', 'synced'].map((d) => join(home.dir, d));
  mkdirSync(got);
  await ok(['get', `s3://${bucket}/t/${name}`, join(got, name)], { home });
  await ok(['cp', '-r', `s3://${bucket}/t/`, copied], { home });
  await ok(['sync', `s3://${bucket}/t/`, synced], { home });
  for (const dir of [got, copied, synced]) {
    assert.deepEqual(readdirSync(dir), [name], `${dir} holds the file and nothing else`);
    assert.ok(readFileSync(join(dir, name)).equals(data));
  }
});
