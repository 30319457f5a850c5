import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalWalkEntry, walkLocalSorted } from '../../src/core/sync/localwalk.js';
import { tempDir } from '../support/tempdir.js';

const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function walk(root: string, opts: Parameters<typeof walkLocalSorted>[1] = { followSymlinks: true }): Promise<LocalWalkEntry[]> {
  const out: LocalWalkEntry[] = [];
  for await (const e of walkLocalSorted(root, opts)) out.push(e);
  return out;
}

function tree(root: string, files: string[]): void {
  for (const rel of files) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), rel);
  }
}

test('the walk yields files in S3 key order, which per-folder name order is not', async () => {
  const root = tempDir('sse3-walk-');
  const files = ['a-b', 'a.b', 'a0', 'a/b', 'a/b-c', 'a/b/c', 'a b', 'ä', 'z', '\u{1F600}', '\uFFFD', '\uE000x',
    'x/\u{1F600}', 'x/\uFFFD', 'x/y/z', 'x-y', 'x.y/q', 'name with spaces/and more', '\u65e5\u672c/\u8a9e'];
  // 'a/b' and 'a/b/c' cannot both be files: 'a/b' is a folder here.
  tree(root, files.filter((f) => f !== 'a/b'));
  const expected = files.filter((f) => f !== 'a/b').sort(bytewise);
  const got = await walk(root);
  assert.deepEqual(got.map((e) => e.rel), expected);
  for (const e of got) {
    assert.equal(e.kind, 'file');
    if (e.kind === 'file') {
      assert.equal(e.path, join(root, ...e.rel.split('/')));
      assert.equal(e.size, Buffer.byteLength(e.rel));
      assert.ok(e.mtimeMs > 0 && e.ino > 0);
    }
  }
  // The fixture does tell the orders apart: sorting each folder by name alone puts "a/…" before "a-b".
  const naive: string[] = [];
  const byName = (dir: string, prefix: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((x, y) => bytewise(x.name, y.name))) {
      if (d.isDirectory()) byName(join(dir, d.name), `${prefix}${d.name}/`);
      else naive.push(prefix + d.name);
    }
  };
  byName(root, '');
  assert.notDeepEqual(naive, expected);
});

test('links: followed loop-safe when asked, skipped (folders as a whole) when not; dangling links, FIFOs and bad names are reported', async () => {
  const root = tempDir('sse3-walk-');
  const outside = tempDir('sse3-walk-out-');
  tree(outside, ['o1', 'sub/o2']);
  tree(root, ['dir/f', 'real']);
  symlinkSync('self', join(root, 'self'));
  symlinkSync(outside, join(root, 'linked'));
  symlinkSync(join(root, 'real'), join(root, 'file-link'));
  symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
  symlinkSync('..', join(root, 'dir', 'loop'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  writeFileSync(Buffer.concat([Buffer.from(join(root, 'bad-')), Buffer.from([0xff, 0x41])]), 'x');
  writeFileSync(join(root, `.real.sse3-${process.pid}-0123abcd.part`), 'partial'); // as earlier versions named them
  writeFileSync(join(root, `.sse3-${process.pid}-4567abcd.part`), 'partial');

  const followed = await walk(root);
  const view = (es: LocalWalkEntry[]) => es.map((e) => (e.kind === 'file' ? e.rel : `${e.rel} [${e.reason}]`));
  assert.deepEqual(view(followed), [
    `.real.sse3-${process.pid}-0123abcd.part [temporary file of an sse3 download]`,
    `.sse3-${process.pid}-4567abcd.part [temporary file of an sse3 download]`,
    'bad-\uFFFDA [name is not valid UTF-8]',
    `dangling [a symbolic link to ${join(root, 'nowhere')}, which does not exist]`,
    'dir/f',
    'dir/loop/ [leads back to a folder it is in (a symbolic link loop)]',
    'fifo [not a regular file (device, FIFO or socket)]',
    'file-link',
    'linked/o1',
    'linked/sub/o2',
    'real',
    'self [a symbolic link that leads back to itself]',
  ]);
  const temp = followed[0];
  assert.equal(temp.kind === 'skip' && temp.tempOwner, process.pid);

  const plain = await walk(root, { followSymlinks: false });
  assert.deepEqual(view(plain).filter((l) => l.includes('(not followed)')), [
    'dir/loop/ [symbolic link (not followed)]',
    'file-link [symbolic link (not followed)]',
    'linked/ [symbolic link (not followed)]',
  ]);
  assert.ok(plain.every((e) => !e.rel.startsWith('linked/') || e.kind === 'skip'));
});

test('an excluded folder is never read; filters see folders with a trailing slash', async () => {
  const root = tempDir('sse3-walk-');
  tree(root, ['keep/a', 'skip/b', 'skip/c/d', 'x.log', 'y.txt']);
  const asked: string[] = [];
  const got = await walk(root, { followSymlinks: true, include: (rel) => { asked.push(rel); return rel !== 'skip/' && !rel.endsWith('.log'); } });
  assert.deepEqual(got.map((e) => e.rel), ['keep/a', 'y.txt']);
  assert.ok(asked.includes('skip/') && asked.includes('keep/'));
  assert.ok(!asked.some((r) => r.startsWith('skip/') && r !== 'skip/'), 'nothing under the excluded folder was looked at');
});
