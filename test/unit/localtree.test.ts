import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkLocalTree } from '../../src/core/localtree.js';
import { Sse3Error } from '../../src/errors.js';

const walk = async (root: string) => {
  const out: Array<[string, string]> = [];
  for await (const e of walkLocalTree(root)) out.push([e.rel, e.problem ? `problem: ${e.problem}` : `${e.stats!.size}`]);
  return out;
};

test('walkLocalTree: files in S3 key order, links to files and folders followed, loops and dangling links reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-tree-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'a', 'deep'), { recursive: true });
  writeFileSync(join(root, 'a', 'x'), 'x');
  writeFileSync(join(root, 'a', 'deep', 'y'), 'yy');
  writeFileSync(join(root, 'a-b'), 'ab');
  writeFileSync(join(root, 'Z'), 'Z');
  writeFileSync(join(root, '\u00e9'), 'e');
  writeFileSync(join(dir, 'outside.txt'), 'outside!');
  mkdirSync(join(dir, 'shared'));
  writeFileSync(join(dir, 'shared', 's'), 'sss');
  symlinkSync(join(dir, 'outside.txt'), join(root, 'link-to-file'));
  symlinkSync(join(dir, 'shared'), join(root, 'link-to-folder'));
  symlinkSync(join(dir, 'nowhere'), join(root, 'dangling'));
  symlinkSync(root, join(root, 'a', 'deep', 'back-to-root'));
  symlinkSync('self', join(root, 'self'));
  execFileSync('mkfifo', [join(root, 'fifo')]);

  const got = await walk(root);
  assert.deepEqual(got.map(([rel]) => rel), ['Z', 'a-b', 'a/deep/back-to-root', 'a/deep/y', 'a/x', 'dangling', 'fifo',
    'link-to-file', 'link-to-folder/s', 'self', '\u00e9']);
  const byRel = Object.fromEntries(got);
  assert.equal(byRel['link-to-file'], '8', 'the link is followed: the size of its target');
  assert.equal(byRel['link-to-folder/s'], '3');
  assert.match(byRel['a/deep/back-to-root'], /problem: .* leads back to a folder it is in \(a symbolic link loop\); not followed/);
  assert.match(byRel.dangling, /problem: .*dangling is a symbolic link to .*nowhere, which does not exist; skipped/);
  assert.match(byRel.self, /problem: .*self is a symbolic link that leads back to itself/);
  assert.match(byRel.fifo, /problem: .* is not a regular file/);
  // In byte order, as an S3 listing of the same keys.
  const rels = got.map(([rel]) => rel);
  assert.deepEqual(rels, [...rels].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));

  await assert.rejects(walk(join(dir, 'missing')), (e: Sse3Error) => e.code === 'LOCAL_IO' && /no such folder/.test(e.message));
  await assert.rejects(walk(join(dir, 'outside.txt')), (e: Sse3Error) => e.code === 'USAGE');
});
