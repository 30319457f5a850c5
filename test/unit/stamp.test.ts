// The one file-stamp shape (src/local/files.ts): an upload's "did the file change while it was read", sync's walk
// and the hash cache all build it with stampOf and compare it with sameStamp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileStamp, sameStamp, stampOf, wholeMs } from '../../src/local/files.js';
import { walkLocalSorted } from '../../src/core/sync/localwalk.js';
import { localFile } from '../../src/core/transfer/single.js';
import { ManifestStore } from '../../src/manifest/store.js';

test('each part of a stamp tells a change on its own', () => {
  const a: FileStamp = { size: 10, mtimeMs: 1_700_000_000_123.456, ctimeMs: 1_700_000_000_999.001, ino: 42 };
  assert.ok(sameStamp(a, { ...a }));
  for (const change of [{ size: 11 }, { mtimeMs: a.mtimeMs + 0.001 }, { ctimeMs: a.ctimeMs + 0.001 }, { ino: 43 }]) {
    assert.equal(sameStamp(a, { ...a, ...change }), false, JSON.stringify(change));
  }
  assert.equal(wholeMs(a.mtimeMs), 1_700_000_000_123);
});

test('the walk, an upload\'s source and the hash cache stamp one file alike; another file in its place differs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-stamp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'f');
  writeFileSync(path, 'same bytes');
  const stamp = stampOf(statSync(path));
  const walked = [];
  for await (const e of walkLocalSorted(dir, { followSymlinks: false })) walked.push(e);
  assert.equal(walked.length, 1);
  assert.ok(walked[0].kind === 'file' && sameStamp(walked[0], stamp));
  assert.ok(sameStamp((await localFile(path)).stamp, stamp));

  const cache = new ManifestStore(':memory:');
  t.after(() => cache.close());
  cache.localHashes.remember({ path, ...stamp, sha256: 'x'.repeat(64) });
  const [remembered] = cache.localHashes.page(`${dir}/`, undefined, 10);
  assert.ok(sameStamp(remembered, stamp), 'the cache gives back the stamp it was given');

  // Another file of the same size renamed into its place: not the file that was stamped.
  writeFileSync(join(dir, 'g'), 'same bytes');
  renameSync(join(dir, 'g'), path);
  assert.equal(sameStamp(stampOf(statSync(path)), stamp), false);
});
