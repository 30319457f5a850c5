// Local files as sse3 reads and writes them (src/local/files.ts, src/local/owner.ts): failures in words with the
// path, folders made with the real reason they could not be, and a file being uploaded held to the stamp it was chosen with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, promises as fs, readFileSync, renameSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sse3Error } from '../../src/errors.js';
import { fileChanged, localIoError, makeFolders, OpenFile, sameStamp, stampOf, writeAll } from '../../src/local/files.js';
import { describeMe, describeUser, isSharedFolder, ownedByMe, ownedByMeOrRoot } from '../../src/local/owner.js';
import { tempDir } from '../support/tempdir.js';

const errno = (code: string) => Object.assign(new Error(`${code}: raw system text`), { code });

test('localIoError: the failure in words, what was being done, the path; a hint where there is something to do', () => {
  const said = (e: unknown, doing: Parameters<typeof localIoError>[1] = 'writing') => {
    const r = localIoError(e, doing, '/data/out.bin');
    return [r.code, r.exitCode, r.message, r.hint];
  };
  assert.deepEqual(said(errno('ENOSPC')), ['LOCAL_IO', 1, 'no space left on device while writing /data/out.bin',
    'free some space, or choose another place']);
  assert.deepEqual(said(errno('EACCES'), 'reading'), ['LOCAL_IO', 1, 'permission denied while reading /data/out.bin',
    'check the permissions of the file and its folder']);
  assert.deepEqual(said(errno('EROFS'), 'creating'), ['LOCAL_IO', 1, 'read-only file system while creating /data/out.bin',
    'choose a place on a writable file system']);
  assert.deepEqual(said(errno('ENOTDIR'), 'opening'), ['LOCAL_IO', 1, 'a part of the path is not a folder while opening /data/out.bin',
    undefined]);
  assert.deepEqual(said(errno('EWHATEVER')), ['LOCAL_IO', 1, 'EWHATEVER while writing /data/out.bin', undefined], 'an unknown code as it is');
  assert.deepEqual(said(new Error('stream destroyed')), ['LOCAL_IO', 1, 'stream destroyed while writing /data/out.bin', undefined]);
  assert.deepEqual(said('odd'), ['LOCAL_IO', 1, 'odd while writing /data/out.bin', undefined]);
  const cause = errno('EIO');
  assert.equal(localIoError(cause, 'reading', 'f').cause, cause);
  const own = new Sse3Error('INTEGRITY', 'checksum mismatch');
  assert.equal(localIoError(own, 'writing', 'f'), own, 'sse3\'s own errors pass through unchanged');
});

test('makeFolders: mkdir -p with a mode; when it cannot, the first folder that could not be made and the real reason', async () => {
  const dir = tempDir('sse3-unit-');
  await makeFolders(join(dir, 'a', 'b', 'c'), 0o700);
  assert.equal(statSync(join(dir, 'a', 'b', 'c')).mode & 0o777, 0o700);
  await makeFolders(join(dir, 'a', 'b', 'c'));
  writeFileSync(join(dir, 'file'), 'x');
  await assert.rejects(makeFolders(join(dir, 'file', 'x', 'y')), (e: Sse3Error) => e.code === 'LOCAL_IO' &&
    e.message === `a part of the path is not a folder while creating ${join(dir, 'file', 'x')}`);
  await assert.rejects(makeFolders(join(dir, 'file')), (e: Sse3Error) => e.code === 'LOCAL_IO' &&
    e.message === `it already exists while creating ${join(dir, 'file')}`);
});

test('a file being uploaded is read from start to end while it stays the file it was chosen as', async () => {
  const dir = tempDir('sse3-unit-');
  const path = join(dir, 'data');
  writeFileSync(path, 'hello, world');
  const file = await OpenFile.open({ path, stamp: stampOf(statSync(path)) });
  try {
    const buf = Buffer.alloc(5);
    await file.read(buf, 7);
    assert.equal(buf.toString(), 'world');
    await file.assertUnchanged();
  } finally {
    await file.close();
  }
});

test('a file that changed since it was chosen is refused: new bytes, new times, another file at the path, or cut short', async () => {
  const dir = tempDir('sse3-unit-');
  const changes: Array<[string, (path: string) => void]> = [
    ['rewritten, same size', (p) => writeFileSync(p, 'HELLO, WORLD')],
    ['only its modification time', (p) => utimesSync(p, new Date(0), new Date(0))],
    ['mode changed (status-change time)', (p) => chmodSync(p, 0o600)],
    ['replaced by another file', (p) => { writeFileSync(`${p}.new`, 'hello, world'); renameSync(`${p}.new`, p); }],
  ];
  for (const [what, change] of changes) {
    const path = join(dir, what.replace(/\W+/g, '-'));
    writeFileSync(path, 'hello, world');
    // The times of a file written just now may not move on a coarse clock: the stamp is taken from times set apart.
    utimesSync(path, new Date(1_600_000_000_000), new Date(1_600_000_000_000));
    const stamp = stampOf(statSync(path));
    change(path);
    await assert.rejects(OpenFile.open({ path, stamp }), (e: Sse3Error) =>
      e.code === 'LOCAL_IO' && e.message === fileChanged(path).message, what);
  }
  // Changed while open: the check after the last byte catches it; a file cut short fails the read itself.
  const path = join(dir, 'open');
  writeFileSync(path, 'hello, world');
  const file = await OpenFile.open({ path, stamp: stampOf(statSync(path)) });
  try {
    truncateSync(path, 3);
    await assert.rejects(file.read(Buffer.alloc(5), 7), (e: Sse3Error) => e.message === `${path} changed while it was being uploaded; nothing was stored`);
    await assert.rejects(file.assertUnchanged(), (e: Sse3Error) => e.hint === 'upload it again once nothing is writing to it');
  } finally {
    await file.close();
  }
  await assert.rejects(OpenFile.open({ path: join(dir, 'missing'), stamp: stampOf(statSync(path)) }),
    (e: Sse3Error) => e.message === `no such file or folder while reading ${join(dir, 'missing')}`);
});

test('stamps: equal for the same unchanged file, different for another file or other times', () => {
  const dir = tempDir('sse3-unit-');
  const [a, b] = [join(dir, 'a'), join(dir, 'b')];
  writeFileSync(a, 'same');
  writeFileSync(b, 'same');
  const stamp = (p: string) => stampOf(statSync(p));
  assert.ok(sameStamp(stamp(a), stamp(a)));
  assert.equal(stamp(a).size, 4);
  assert.ok(!sameStamp(stamp(a), stamp(b)), 'another file (inode)');
  const before = stamp(a);
  utimesSync(a, new Date(5_000), new Date(5_000));
  assert.ok(!sameStamp(before, stamp(a)));
});

test('writeAll writes everything, at the current position or at a given one', async () => {
  const dir = tempDir('sse3-unit-');
  const path = join(dir, 'f');
  const handle = await fs.open(path, 'w+');
  try {
    await writeAll(handle, Buffer.from('abcdef'));
    await writeAll(handle, Buffer.from('XY'), 2);
    await writeAll(handle, Buffer.alloc(0), 0);
  } finally {
    await handle.close();
  }
  assert.equal(readFileSync(path, 'utf8'), 'abXYef');
});

test('owners: mine, root\'s, and folders anyone may write to; users named as a person knows them', () => {
  const me = process.getuid!();
  assert.equal(ownedByMe({ uid: me }), true);
  assert.equal(ownedByMe({ uid: me + 1 }), false);
  assert.equal(ownedByMeOrRoot({ uid: 0 }), true);
  assert.equal(ownedByMeOrRoot({ uid: me + 1 }), me + 1 === 0);
  assert.equal(isSharedFolder({ mode: 0o41777 }), true, '/tmp');
  assert.equal(isSharedFolder({ mode: 0o40777 }), true);
  assert.equal(isSharedFolder({ mode: 0o40775 }), false, 'group-writable is not everyone');
  assert.equal(isSharedFolder({ mode: 0o40755 }), false);
  const dir = tempDir('sse3-unit-');
  mkdirSync(join(dir, 'open'), { mode: 0o777 });
  chmodSync(join(dir, 'open'), 0o777);
  assert.equal(isSharedFolder(statSync(join(dir, 'open'))), true);
  assert.equal(describeUser(0), 'root (uid 0)');
  assert.equal(describeUser(3_999_999_999), 'uid 3999999999', 'a uid /etc/passwd does not list');
  assert.match(describeMe(), new RegExp(`^you \\((\\S+, )?uid ${me}\\)$`));
});
