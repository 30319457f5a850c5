import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CopyState, type CopyVerdict, decide, decideCopy, type LocalState, type PairState, recordFits, type Verdict } from '../../src/core/sync/decide.js';

const SHA = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const up = (over: Partial<PairState>): PairState => ({ direction: 'up', tagsRead: false, checksum: false, delete: false, ...over });
const down = (over: Partial<PairState>): PairState => ({ ...up(over), direction: 'down' });
const file = { size: 10, mtimeMs: 1000 };
const object = { size: 10, etag: 'e1' };
const recorded = { size: 10, etag: 'e1', sha256: SHA, mtimeMs: 1000, from: 'manifest' as const };

test('up: the rules of the issue, case by case', () => {
  const cases: Array<[string, PairState, Verdict]> = [
    ['new file', up({ local: file }), { do: 'upload', reason: 'new' }],
    ['unchanged: same size and recorded mtime, no request, no read', up({ local: file, remote: object, record: recorded }), { do: 'unchanged' }],
    ['size differs from the object: no record needed', up({ local: { ...file, size: 11 }, remote: object }), { do: 'upload', reason: 'size' }],
    ['touched: mtime differs → hash first', up({ local: { ...file, mtimeMs: 2000 }, remote: object, record: recorded }), { do: 'hash' }],
    ['touched, same content: skip and record the new mtime', up({ local: { ...file, mtimeMs: 2000, sha256: SHA }, remote: object, record: recorded }),
      { do: 'unchanged', recordMtime: 2000 }],
    ['edited: mtime differs, content differs', up({ local: { ...file, mtimeMs: 2000, sha256: OTHER }, remote: object, record: recorded }),
      { do: 'upload', reason: 'content' }],
    ['edit that kept size and mtime: not seen without --checksum', up({ local: file, remote: object, record: recorded }), { do: 'unchanged' }],
    ['--checksum hashes even a file whose mtime matches', up({ local: file, remote: object, record: recorded, checksum: true }), { do: 'hash' }],
    ['--checksum catches the mtime-preserving edit', up({ local: { ...file, sha256: OTHER }, remote: object, record: recorded, checksum: true }),
      { do: 'upload', reason: 'content' }],
    ['a checksum known for this very stat catches it too', up({ local: { ...file, sha256: OTHER }, remote: object, record: recorded }),
      { do: 'upload', reason: 'content' }],
    ['record without mtime (older manifest): hash, then record it', up({ local: file, remote: object, record: { ...recorded, mtimeMs: undefined } }),
      { do: 'hash' }],
    ['no record: read the tags first', up({ local: file, remote: object }), { do: 'read-tags' }],
    ['no record even in tags: changed', up({ local: file, remote: object, tagsRead: true }), { do: 'upload', reason: 'unrecorded' }],
    ['record of another version (ETag differs): tags first', up({ local: file, remote: object, record: { ...recorded, etag: 'e2' } }),
      { do: 'read-tags' }],
    ['record from tags has no mtime: hash', up({ local: file, remote: object, tagsRead: true, record: { ...recorded, from: 'tags', mtimeMs: undefined } }),
      { do: 'hash' }],
    ['only in the bucket, no --delete', up({ remote: object }), { do: 'skip', why: 'not-deleted' }],
    ['only in the bucket, --delete', up({ remote: object, delete: true }), { do: 'delete-remote' }],
    ['source unreadable there: never deleted', up({ remote: object, delete: true, localBlocked: 'x: dangling' }), { do: 'skip', why: 'source-unreadable' }],
  ];
  for (const [name, state, verdict] of cases) assert.deepEqual(decide(state), verdict, name);
});

test('down: the rules of the issue, case by case', () => {
  const cases: Array<[string, PairState, Verdict]> = [
    ['missing locally', down({ remote: object, record: recorded }), { do: 'download', reason: 'new' }],
    ['size differs', down({ local: { ...file, size: 3 }, remote: object, record: recorded }), { do: 'download', reason: 'size' }],
    ['same size, checksum not known: hash (or the cache)', down({ local: file, remote: object, record: recorded }), { do: 'hash' }],
    ['same checksum: unchanged, whatever the mtime', down({ local: { ...file, mtimeMs: 5, sha256: SHA }, remote: object, record: recorded }),
      { do: 'unchanged' }],
    ['checksum differs', down({ local: { ...file, sha256: OTHER }, remote: object, record: recorded }), { do: 'download', reason: 'content' }],
    ['no record: tags first', down({ local: { ...file, sha256: SHA }, remote: object }), { do: 'read-tags' }],
    ['no record anywhere: changed', down({ local: { ...file, sha256: SHA }, remote: object, tagsRead: true }), { do: 'download', reason: 'unrecorded' }],
    ['record without a checksum is no record', down({ local: { ...file, sha256: SHA }, remote: object, tagsRead: true, record: { ...recorded, sha256: '' } }),
      { do: 'download', reason: 'unrecorded' }],
    ['only local, no --delete', down({ local: file }), { do: 'skip', why: 'not-deleted' }],
    ['only local, --delete', down({ local: file, delete: true }), { do: 'delete-local' }],
    ['a link or FIFO only local: not part of the sync, never deleted', down({ localBlocked: 'l: link', delete: true }), { do: 'skip', why: 'not-a-file' }],
    ['a link or FIFO where an object must go: not replaced', down({ localBlocked: 'l: link', remote: object }),
      { do: 'fail', message: 'l: link; not replaced' }],
  ];
  for (const [name, state, verdict] of cases) assert.deepEqual(decide(state), verdict, name);
});

test('every combination: verdicts stay in their direction, delete only with --delete, nothing unchanged that is known to differ', () => {
  const locals: Array<LocalState | undefined> = [undefined, file, { ...file, mtimeMs: 2000 }, { ...file, size: 11 }, { ...file, sha256: SHA }, { ...file, sha256: OTHER },
    { ...file, mtimeMs: 2000, sha256: SHA }];
  const remotes = [undefined, object, { size: 11, etag: 'e1' }, { size: 10, etag: '' }];
  const records = [undefined, recorded, { ...recorded, mtimeMs: undefined }, { ...recorded, etag: 'e2' }, { ...recorded, sha256: '' },
    { ...recorded, size: 11 }, { ...recorded, from: 'tags' as const, etag: '' }];
  let n = 0;
  for (const direction of ['up', 'down'] as const) for (const local of locals) for (const remote of remotes) for (const record of records)
  for (const localBlocked of [undefined, 'p: link']) for (const tagsRead of [false, true]) for (const checksum of [false, true])
  for (const del of [false, true]) {
    if (local && localBlocked) continue;
    const state: PairState = { direction, local, remote, record, localBlocked, tagsRead, checksum, delete: del };
    if (!local && !remote && !localBlocked) {
      assert.throws(() => decide(state));
      continue;
    }
    const v = decide(state);
    n++;
    const what = JSON.stringify(state);
    assert.ok(direction === 'up' ? !['download', 'delete-local', 'fail'].includes(v.do) : !['upload', 'delete-remote'].includes(v.do), what);
    if (v.do === 'delete-remote') assert.ok(del && direction === 'up' && !local && remote, what);
    if (v.do === 'delete-local') assert.ok(del && direction === 'down' && local && !remote, what);
    if (v.do === 'delete-remote') assert.ok(!localBlocked, `never delete what an unreadable source may hold: ${what}`);
    if (v.do === 'unchanged') {
      assert.ok(local && remote && local.size === remote.size, what);
      const fits = recordFits(record, remote);
      assert.ok(fits, `unchanged needs a record of this very object: ${what}`);
      if (local.sha256 !== undefined) assert.equal(local.sha256, record!.sha256, what);
      if (direction === 'down' || checksum) assert.equal(local.sha256, record!.sha256, what);
      else if (local.sha256 === undefined) assert.equal(local.mtimeMs, record!.mtimeMs, what);
    }
    if (v.do === 'read-tags') assert.ok(!tagsRead, `tags are read once: ${what}`);
    if (v.do === 'hash') assert.ok(local && local.sha256 === undefined, what);
    if (v.do === 'upload' || v.do === 'download') assert.ok(direction === 'up' ? local : remote, what);
  }
  assert.ok(n > 3000);
});

test('s3 → s3: the recorded checksums of both objects decide; tags are read once per side; deletes only with --delete', () => {
  const both = (over: Partial<CopyState>): CopyState => ({ source: object, sourceRecord: recorded, sourceTagsRead: false, dest: object,
    destRecord: { ...recorded, etag: 'e1' }, destTagsRead: false, delete: false, ...over });
  const cases: Array<[string, CopyState, CopyVerdict]> = [
    ['same checksum: unchanged, no request', both({}), { do: 'unchanged' }],
    ['checksums differ', both({ destRecord: { ...recorded, sha256: OTHER } }), { do: 'copy', reason: 'content' }],
    ['destination missing', both({ dest: undefined, destRecord: undefined }), { do: 'copy', reason: 'new' }],
    ['sizes differ', both({ dest: { size: 3, etag: 'x' } }), { do: 'copy', reason: 'size' }],
    ['source unrecorded: its tags first', both({ sourceRecord: undefined }), { do: 'read-source-tags' }],
    ['source unrecorded even in tags', both({ sourceRecord: undefined, sourceTagsRead: true }), { do: 'copy', reason: 'unrecorded' }],
    ['destination record of another version: its tags first', both({ destRecord: { ...recorded, etag: 'old' } }), { do: 'read-tags' }],
    ['destination unrecorded even in tags', both({ destRecord: undefined, destTagsRead: true }), { do: 'copy', reason: 'unrecorded' }],
    ['only in the destination', both({ source: undefined, sourceRecord: undefined }), { do: 'skip', why: 'not-deleted' }],
    ['only in the destination, --delete', both({ source: undefined, sourceRecord: undefined, delete: true }), { do: 'delete-remote' }],
  ];
  for (const [name, state, verdict] of cases) assert.deepEqual(decideCopy(state), verdict, name);
  assert.throws(() => decideCopy(both({ source: undefined, dest: undefined })));
});
