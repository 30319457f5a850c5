import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAhead } from '../../src/core/runtime/batch.js';
import { pathFilter } from '../../src/core/sync/filter.js';
import { SseCKey } from '../../src/keys/key.js';
import { march, type RemoteEntry, SortedCursor } from '../../src/core/sync/march.js';
import type { LocalWalkEntry } from '../../src/core/sync/localwalk.js';
import type { Session } from '../../src/core/session/session.js';
import { planSync, type SyncOutcome, type SyncSpec, type SyncTally } from '../../src/core/sync/plan.js';
import { WriteKeys } from '../../src/core/session/write-key.js';
import { ManifestStore } from '../../src/manifest/store.js';
import type { KeyContext } from '../../src/keys/sources.js';
import { S3Twin } from '../support/s3-twin.js';
import { tempDir } from '../support/tempdir.js';
import { promisesSettled } from '../support/wait.js';

const key = new SseCKey(randomBytes(32), 'test');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function session(twin: S3Twin, manifest = new ManifestStore(':memory:')): Session {
  return { conn: twin.connection(), manifest, paths: { dataDir: '/nonexistent', manifestFile: ':memory:', keyDir: '/nonexistent' },
    keys: {} as KeyContext, signal: new AbortController().signal, givenKeys: [], findKey: async () => key, allKeys: async () => [{ ref: 'test', key }], keyProblems: () => [],
    lastSeen: () => undefined, keyUsed: () => undefined, close() {} };
}

async function sync(s: Session, spec: Partial<SyncSpec> & Pick<SyncSpec, 'direction' | 'root'>) {
  const tally: SyncTally = { unchanged: 0, notDeleted: 0, skipped: 0, unrecorded: 0, plain: 0, underOtherKeys: {} };
  const outcomes: SyncOutcome[] = [];
  const warnings: string[] = [];
  for await (const work of planSync(s, { scope: { bucket: 'b', prefix: 'p/' }, checksum: false, delete: false, dryRun: false,
    putKeys: new WriteKeys([{ prefix: '', wk: { key, ref: 'file:test.key' } }]), ...spec }, tally, (m) => warnings.push(m))) outcomes.push(await work.run({}));
  return { tally, outcomes, warnings, actions: outcomes.map((o) => `${o.action} ${o.rel}${o.reason ? ` (${o.reason})` : ''}`).sort() };
}

const ops = (twin: S3Twin) => twin.requests.map((r) => r.op);

test('up: a second sync sends only the listing; a touched file is hashed, not sent, and its mtime recorded; an edit is sent', async () => {
  const twin = new S3Twin({ pageSize: 7 });
  const s = session(twin);
  const root = tempDir('sse3-sync-');
  const names = Array.from({ length: 30 }, (_, i) => (i % 3 ? `d${i % 4}/f${i}` : `f ${i} \u{1F600}`));
  for (const n of names) {
    mkdirSync(join(root, n, '..'), { recursive: true });
    writeFileSync(join(root, n), `content of ${n}`);
  }
  const first = await sync(s, { direction: 'up', root });
  assert.equal(first.outcomes.length, 30);
  assert.ok(first.outcomes.every((o) => o.action === 'upload' && o.reason === 'new'));
  assert.equal(twin.objects.get(`b/p/${names[1]}`)!.metadata['sse3-mtime'], String(Math.round(
    (await import('node:fs')).statSync(join(root, names[1])).mtimeMs)), 'the file\'s mtime is stored with the object');

  twin.requests.length = 0;
  const again = await sync(s, { direction: 'up', root });
  assert.deepEqual(again.outcomes, []);
  assert.equal(again.tally.unchanged, 30);
  assert.deepEqual(ops(twin), Array(5).fill('ListObjectsV2'), 'no request per object: five listing pages, nothing else');

  utimesSync(join(root, names[4]), new Date(), new Date(Date.now() + 5000));
  twin.requests.length = 0;
  const touched = await sync(s, { direction: 'up', root });
  assert.deepEqual(touched.outcomes.map((o) => [o.action, o.rel, o.mtimeRecorded]), [['unchanged', names[4], true]]);
  assert.deepEqual([...new Set(ops(twin))], ['ListObjectsV2'], 'a touched file is not uploaded');
  twin.requests.length = 0;
  assert.deepEqual((await sync(s, { direction: 'up', root })).outcomes, [], 'its new mtime was recorded');

  writeFileSync(join(root, names[5]), `CONTENT OF ${names[5]}`);
  utimesSync(join(root, names[5]), new Date(), new Date(Date.now() + 9000));
  const edited = await sync(s, { direction: 'up', root });
  assert.deepEqual(edited.actions, [`upload ${names[5]} (content)`]);
  assert.equal(twin.objects.get(`b/p/${names[5]}`)!.tags['sse3-sha256'], sha(`CONTENT OF ${names[5]}`));
});

test('a record of another version (the object was replaced behind sse3\'s back) is not trusted', async () => {
  const twin = new S3Twin();
  const s = session(twin);
  const root = tempDir('sse3-sync-');
  writeFileSync(join(root, 'f'), 'mine');
  await sync(s, { direction: 'up', root });
  // Another writer stores other bytes of the same size under the key, without sse3's tags.
  twin.objects.set('b/p/f', { body: Buffer.from('them'), metadata: {}, tags: {}, etag: '"other"' });
  const r = await sync(s, { direction: 'up', root });
  assert.deepEqual(r.actions, ['upload f (unrecorded)']);
  assert.equal(r.tally.unrecorded, 1);
  assert.deepEqual(twin.objects.get('b/p/f')!.body, Buffer.from('mine'));
});

test('down: written files get the recorded mtime; --delete waits for the whole listing, so a listing out of order deletes nothing', async () => {
  const twin = new S3Twin();
  const s = session(twin);
  const src = tempDir('sse3-sync-');
  writeFileSync(join(src, '\uFFFD'), 'replacement');
  writeFileSync(join(src, '\u{1F600}'), 'smile');
  utimesSync(join(src, '\u{1F600}'), new Date(), new Date(1_700_000_000_123));
  await sync(s, { direction: 'up', root: src });
  const dst = tempDir('sse3-sync-');
  const down = await sync(s, { direction: 'down', root: dst });
  assert.deepEqual(down.actions, ['download \u{1F600} (new)', 'download \uFFFD (new)']);
  const { statSync } = await import('node:fs');
  assert.equal(Math.round(statSync(join(dst, '\u{1F600}')).mtimeMs), 1_700_000_000_123);
  assert.deepEqual((await sync(s, { direction: 'down', root: dst })).outcomes, [], 'the written files\' checksums are remembered');

  // A server listing in JavaScript's order puts the emoji first: the march notices, after having seen "\uFFFD" only locally.
  const mixed = new S3Twin({ listOrder: 'javascript' });
  const m = session(mixed);
  await sync(m, { direction: 'up', root: src });
  const local = tempDir('sse3-sync-');
  writeFileSync(join(local, '\uFFFD'), 'replacement');
  await assert.rejects(sync(m, { direction: 'down', root: local, delete: true }), /not in S3 key order/);
  assert.ok(existsSync(join(local, '\uFFFD')), 'nothing was deleted on the strength of a broken listing');
  assert.equal(readFileSync(join(local, '\uFFFD'), 'utf8'), 'replacement');
});

test('march pairs names across both sides; an unreadable folder covers everything under it', async () => {
  const file = (rel: string): LocalWalkEntry => ({ kind: 'file', rel, path: `/r/${rel}`, size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1 });
  const skip = (rel: string): LocalWalkEntry => ({ kind: 'skip', rel, path: `/r/${rel}`, reason: 'unreadable', subtree: rel.endsWith('/') });
  const obj = (rel: string): RemoteEntry => ({ rel, key: `p/${rel}`, size: 1, etag: 'e' });
  const gen = <T>(xs: T[]) => (async function* () { yield* xs; })();
  const pairs = [];
  for await (const p of march(gen([file('a'), file('b'), skip('c/'), file('d'), skip('e')]),
    gen([obj('a-'), obj('b'), obj('c/x'), obj('c/y/z'), obj('c0'), obj('e')]))) {
    pairs.push(`${p.rel}:${p.local ? 'L' : ''}${p.blocked ? 'B' : ''}${p.remote ? 'R' : ''}`);
  }
  assert.deepEqual(pairs, ['a:L', 'a-:R', 'b:LR', 'c/x:BR', 'c/y/z:BR', 'c/:B', 'c0:R', 'd:L', 'e:BR']);

  const fetched: Array<string | undefined> = [];
  const rows = ['a', 'b', 'c', 'd', 'e'];
  const cursor = new SortedCursor((after) => {
    fetched.push(after);
    const from = after === undefined ? 0 : rows.indexOf(after) + 1;
    return rows.slice(from, from + 2);
  }, (r) => r, (r) => r);
  assert.deepEqual(['a', 'c', 'cc', 'e', 'f'].map((k) => cursor.seek(k)), ['a', 'c', undefined, 'e', undefined]);
  assert.deepEqual(fetched, [undefined, 'b', 'd', 'e'], 'one query per page of rows, not one per name');
});

test('readAhead takes items before they are asked for, up to its bound, and passes on a failure after them', async () => {
  let produced = 0;
  const source = (async function* () {
    for (let i = 0; i < 10; i++) { produced++; yield i; }
    throw new Error('listing cut');
  })();
  const taken: number[] = [];
  const it = readAhead(source, 4, (i) => taken.push(i))[Symbol.asyncIterator]();
  assert.equal((await it.next()).value, 0);
  await promisesSettled(); // the source needs no I/O: the read-ahead has taken all it will take
  assert.ok(produced <= 6 && taken.length >= 4, `bounded look-ahead (${produced} produced)`);
  const rest: number[] = [];
  await assert.rejects((async () => { for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value); })(), /listing cut/);
  assert.deepEqual(rest, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('filters: gitignore patterns in command-line order, the last match deciding; case-sensitive', () => {
  const f = pathFilter([{ exclude: '*.log' }, { include: 'keep.log' }, { exclude: 'build/' }, { exclude: '#notes' }, { exclude: '/top' }])!;
  const verdicts = ['a.log', 'd/a.log', 'keep.log', 'd/keep.log', 'A.LOG', 'build/', 'build/x', 'src/build/', '#notes', 'top', 'd/top']
    .map((p) => `${p}=${f(p) ? 'in' : 'out'}`);
  assert.deepEqual(verdicts, ['a.log=out', 'd/a.log=out', 'keep.log=in', 'd/keep.log=in', 'A.LOG=in', 'build/=out', 'build/x=out',
    'src/build/=out', '#notes=out', 'top=out', 'd/top=in']);
  assert.equal(pathFilter([]), undefined);
  const later = pathFilter([{ include: 'x.log' }, { exclude: '*.log' }])!;
  assert.equal(later('x.log'), false, 'an --exclude after an --include wins');
  assert.throws(() => pathFilter([{ exclude: ' ' }]), /empty/);
});
