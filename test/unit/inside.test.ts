// The one rule that keeps cp -r and sync downloads inside their destination (src/local/inside.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFolderInside, writeRoot } from '../../src/local/inside.js';
import { Sse3Error } from '../../src/errors.js';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-inside-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const outside = (e: unknown) => e instanceof Sse3Error && e.code === 'LOCAL_IO' && /would be written outside .*; not written$/.test(e.message);

test('folders under the destination are made; a path that leaves it as written ("..") is refused, nothing made', async (t) => {
  const dir = scratch(t);
  const root = await writeRoot(join(dir, 'dst'));
  await makeFolderInside(root, join(root.path, 'a', 'b', 'file'));
  assert.ok(statSync(join(dir, 'dst', 'a', 'b')).isDirectory());
  for (const escape of [join(root.path, '..', 'x', 'file'), join(dir, 'dst-sibling', 'file'), root.path]) {
    await assert.rejects(makeFolderInside(root, escape), outside, escape);
  }
  assert.deepEqual(readdirSync(dir), ['dst']);
});

test('a folder link inside the destination that leads elsewhere is not written through, however deep the path', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, 'dst'));
  mkdirSync(join(dir, 'elsewhere'));
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'dst', 'linked'));
  const root = await writeRoot(join(dir, 'dst'));
  for (const path of [join(root.path, 'linked', 'file'), join(root.path, 'linked', 'new', 'deeper', 'file')]) {
    await assert.rejects(makeFolderInside(root, path), (e) => outside(e) && (e as Error).message.includes(`(through ${join(root.path, 'linked')})`), path);
  }
  assert.deepEqual(readdirSync(join(dir, 'elsewhere')), [], 'nothing was made outside');
});

test('links that stay inside are fine, and so is a destination that is itself a link or does not exist yet', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, 'real', 'inner'), { recursive: true });
  symlinkSync(join(dir, 'real'), join(dir, 'dst'));
  symlinkSync(join(dir, 'real', 'inner'), join(dir, 'real', 'alias'));
  const root = await writeRoot(join(dir, 'dst'));
  await makeFolderInside(root, join(root.path, 'alias', 'sub', 'file'));
  assert.ok(statSync(join(dir, 'real', 'inner', 'sub')).isDirectory());

  // Not made yet, under a folder reached through a link: its real path is the link's target plus the rest.
  const later = await writeRoot(join(dir, 'dst', 'new', 'dest'));
  assert.equal(later.real, join(dir, 'real', 'new', 'dest'));
  await makeFolderInside(later, join(later.path, 'x', 'file'));
  assert.ok(statSync(join(dir, 'real', 'new', 'dest', 'x')).isDirectory());
});

test('a file in the way of a folder is said in words', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, 'dst'));
  writeFileSync(join(dir, 'dst', 'a'), 'a file');
  const root = await writeRoot(join(dir, 'dst'));
  await assert.rejects(makeFolderInside(root, join(root.path, 'a', 'b', 'file')),
    (e) => e instanceof Sse3Error && e.code === 'LOCAL_IO' && /not a folder|already exists/.test(e.message));
  assert.ok(!existsSync(join(dir, 'dst', 'a', 'b')));
});
