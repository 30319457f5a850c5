// Healing a record from the object's tag (src/core/session/heal.ts): a teammate re-keyed an object, this manifest
// still names the old key; the sse3-fp tag names the new one, and a HEAD with it must open the same content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { healedLine, healFromTag, recordFoundByTag, withObjectKey } from '../../src/core/session/heal.js';
import type { ObjectKey } from '../../src/core/session/session.js';
import { SseCKey } from '../../src/keys/key.js';
import { newEntry } from '../../src/manifest/entry.js';
import { Sse3Error } from '../../src/errors.js';
import { S3Error, S3Twin } from '../support/s3-twin.js';
import { alteredHeads, twinSession } from '../support/twin-session.js';

const oldKey = new SseCKey(randomBytes(32), 'old');
const newKey = new SseCKey(randomBytes(32), 'new');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const LOC = { bucket: 'b', key: 'doc' };

/**
 * The object as a teammate left it: re-keyed under newKey, tags naming newKey. This manifest records it under
 * oldKey. `tags` and `body` change what the teammate left; `tagError` makes tag reads fail.
 */
function reKeyed(opts: { tags?: Record<string, string>; body?: Buffer; keys?: SseCKey[]; tagError?: () => Error; alter?: boolean } = {}) {
  const data = Buffer.from('the same plaintext');
  const twin = new S3Twin({ endpoint: `https://heal-${Math.random()}`, versioned: true,
    errorFor: (op) => (op === 'GetObjectTagging' ? opts.tagError?.() : undefined) });
  twin.store('b/doc', { body: opts.body ?? data, keyMd5: newKey.keyMd5, metadata: {}, versionId: 'v2',
    tags: opts.tags ?? { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(data) } });
  const conn = opts.alter ? alteredHeads(twin.connection(), (h) => ({ ...h, SSECustomerKeyMD5: oldKey.keyMd5 })) : twin.connection();
  const s = twinSession(conn, opts.keys ?? [oldKey, newKey]);
  const entry = newEntry({ endpoint: s.conn.endpoint, ...LOC }, { versionId: 'v2', fingerprint: oldKey.fingerprint, size: data.length,
    sha256: sha(data), mtimeMs: 1_700_000_000_000 });
  s.manifest.record(entry);
  const found: ObjectKey = { key: oldKey, entry, fingerprint: oldKey.fingerprint, foundBy: 'manifest' };
  return { twin, s, data, entry, found };
}

test('the tag\'s key opens the same content: the corrected row keeps what was recorded, and only the key changes', async () => {
  const { twin, s, entry, found } = reKeyed();
  const healed = await healFromTag(s, LOC, found, { versionId: 'v2', op: 'get' });
  assert.equal(healed?.key, newKey);
  assert.deepEqual([healed?.fingerprint, healed?.foundBy], [newKey.fingerprint, 'tag']);
  assert.deepEqual(healed?.entry, { ...entry, fingerprint: newKey.fingerprint, etag: 'etag-from-head', createdAt: healed!.entry!.createdAt });
  assert.deepEqual(twin.requests.map((q) => [q.op, q.input.VersionId, q.input.SSECustomerKeyMD5]),
    [['GetObjectTagging', 'v2', undefined], ['HeadObject', 'v2', newKey.keyMd5]]);
  assert.equal(s.manifest.lookup({ endpoint: s.conn.endpoint, ...LOC }, 'v2')?.fingerprint, oldKey.fingerprint, 'not recorded yet');
});

test('nothing to heal: a key that did not come from the manifest, a tag naming the same key or none', async () => {
  for (const [what, setup] of [
    ['given with --key', () => { const r = reKeyed(); return { ...r, found: { ...r.found, foundBy: 'option' as const } }; }],
    ['tag names the recorded key', () => reKeyed({ tags: { 'sse3-fp': oldKey.fingerprint } })],
    ['no tag', () => reKeyed({ tags: {} })],
  ] as const) {
    const { s, twin, found } = setup();
    assert.equal(await healFromTag(s, LOC, found, { versionId: 'v2', op: 'get' }), undefined, what);
    assert.ok(!twin.requests.some((q) => q.op === 'HeadObject'), `${what}: no keyed HEAD`);
  }
});

test('a heal rests on what the tag\'s key really opens: other content, another key\'s echo or a missing key stop it', async () => {
  const cases: Array<[string, Parameters<typeof reKeyed>[0], string, RegExp]> = [
    ['another size', { body: Buffer.from('other, longer plaintext') }, 'INTEGRITY', /holds other content than recorded here: .*its size/],
    ['another SHA-256 in the tag', { tags: { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': 'f'.repeat(64) } }, 'INTEGRITY',
      /the SHA-256 its sse3-sha256 tag names differs/],
    ['an answer under another key', { alter: true }, 'INTEGRITY', /answered a request with key .* under another key/],
    ['the tag\'s key is not here', { keys: [oldKey] }, 'NO_KEY', new RegExp(`its tag names key ${newKey.fingerprint} .*sse3 cannot find that key`)],
    ['tags that may not be read', { tagError: () => new S3Error('AccessDenied', 403) }, 'ACCESS_DENIED', /could not be read: access denied/],
  ];
  for (const [what, opts, code, message] of cases) {
    const { s, found } = reKeyed(opts);
    await assert.rejects(healFromTag(s, LOC, found, { versionId: 'v2', op: 'get' }),
      (e) => e instanceof Sse3Error && e.code === code && message.test(e.message), what);
    assert.equal(s.manifest.lookup({ endpoint: s.conn.endpoint, ...LOC }, 'v2')?.fingerprint, oldKey.fingerprint, `${what}: record kept`);
  }
});

test('withObjectKey: the operation runs again with the tag\'s key, and the row is corrected (and said once) only after it succeeded', async () => {
  const { s, found } = reKeyed();
  const said: string[] = [];
  const used: string[] = [];
  const refusedUnlessNew = async (f: ObjectKey) => {
    used.push(f.key!.source);
    if (f.key !== newKey) throw new Sse3Error('WRONG_KEY', 'refused');
    return 'done';
  };
  assert.equal(await withObjectKey(s, LOC, found, { versionId: 'v2', op: 'get', onHealed: (l) => said.push(l) }, refusedUnlessNew), 'done');
  assert.deepEqual(used, ['old', 'new']);
  assert.deepEqual(said, [healedLine('s3://b/doc', oldKey.fingerprint, newKey.fingerprint)]);
  assert.equal(s.manifest.lookup({ endpoint: s.conn.endpoint, ...LOC }, 'v2')?.fingerprint, newKey.fingerprint);

  // The second run fails too: the record stays as it was, nothing is said.
  const again = reKeyed();
  const quiet: string[] = [];
  await assert.rejects(withObjectKey(again.s, LOC, again.found, { versionId: 'v2', op: 'get', onHealed: (l) => quiet.push(l) },
    async () => { throw new Sse3Error('WRONG_KEY', 'refused'); }), (e) => e instanceof Sse3Error && e.code === 'WRONG_KEY');
  assert.deepEqual(quiet, []);
  assert.equal(again.s.manifest.lookup({ endpoint: again.s.conn.endpoint, ...LOC }, 'v2')?.fingerprint, oldKey.fingerprint);
});

test('withObjectKey: a rotation reads the corrected row, so it is recorded before the rotation runs again', async () => {
  const { s, found } = reKeyed();
  const seen: Array<string | undefined> = [];
  await withObjectKey(s, LOC, found, { versionId: 'v2', op: 'rotate' }, async (f) => {
    seen.push(s.manifest.lookup({ endpoint: s.conn.endpoint, ...LOC }, 'v2')?.fingerprint);
    if (f.key !== newKey) throw new Sse3Error('WRONG_KEY', 'refused');
  });
  assert.deepEqual(seen, [oldKey.fingerprint, newKey.fingerprint]);
  // Errors other than a refused key are not healed.
  await assert.rejects(withObjectKey(s, LOC, found, { op: 'get' }, async () => { throw new Sse3Error('UNREACHABLE', 'down'); }),
    (e) => e instanceof Sse3Error && e.code === 'UNREACHABLE');
});

test('recordFoundByTag records an object whose key came from its tag, once it was read with it', () => {
  const { s } = reKeyed();
  const loc = { bucket: 'b', key: 'untracked' };
  const byTag: ObjectKey = { key: newKey, fingerprint: newKey.fingerprint, foundBy: 'tag', tagSha256: 'a'.repeat(64) };
  const row = recordFoundByTag(s, loc, byTag, { versionId: 'null', size: 5, etag: '"e"' });
  assert.deepEqual([row?.versionId, row?.fingerprint, row?.sha256, row?.etag], ['null', newKey.fingerprint, 'a'.repeat(64), 'e']);
  assert.equal(s.manifest.lookup({ endpoint: s.conn.endpoint, ...loc })?.fingerprint, newKey.fingerprint);
  assert.equal(recordFoundByTag(s, loc, { ...byTag, foundBy: 'manifest' }, { size: 5, etag: 'e' }), undefined);
});
