// verify's check of one manifest entry (src/core/objects/verify.ts verifyEntry) against the S3 twin: each status it
// can give, the stale record it fixes from the object's tag, and --deep's checksum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { verifyEntry } from '../../src/core/objects/verify.js';
import { SseCKey } from '../../src/keys/key.js';
import { type ManifestEntry, newEntry } from '../../src/manifest/entry.js';
import { Sse3Error } from '../../src/errors.js';
import { networkError, S3Twin } from '../support/s3-twin.js';
import { twinSession } from '../support/twin-session.js';

const key = new SseCKey(randomBytes(32), 'k');
const other = new SseCKey(randomBytes(32), 'other');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const data = Buffer.from('recorded plaintext');

/** A twin holding `b/doc` under `under` (undefined: plain), its tags `tags`; a session that finds `keys`. */
function setup(opts: { under?: SseCKey | null; tags?: Record<string, string>; body?: Buffer; keys?: SseCKey[];
  errorFor?: (op: string) => Error | undefined } = {}) {
  const twin = new S3Twin({ endpoint: `https://verify-${Math.random()}`, errorFor: opts.errorFor });
  const under = opts.under === undefined ? key : opts.under;
  twin.store('b/doc', { body: opts.body ?? data, keyMd5: under?.keyMd5, metadata: {}, tags: opts.tags ?? {} });
  const s = twinSession(twin.connection(), opts.keys ?? [key, other]);
  const entry = (over: Partial<ManifestEntry> = {}) => ({ ...newEntry({ endpoint: s.conn.endpoint, bucket: 'b', key: 'doc' },
    { fingerprint: key.fingerprint, size: data.length, sha256: sha(data) }), ...over });
  return { twin, s, entry };
}

const statusOf = async (s: ReturnType<typeof setup>['s'], e: ManifestEntry, deep = false) => {
  const r = await verifyEntry(s, e, deep);
  return [r.status, r.detail];
};

test('the recorded key opens it: ok, with one keyed HEAD and nothing else', async () => {
  const { twin, s, entry } = setup();
  assert.deepEqual(await statusOf(s, entry()), ['ok', undefined]);
  assert.deepEqual(twin.requests.map((q) => [q.op, q.input.SSECustomerKeyMD5]), [['HeadObject', key.keyMd5]]);
});

test('what a HEAD tells without a download: key unavailable, wrong key, missing, not encrypted', async () => {
  assert.deepEqual(await statusOf(setup({ keys: [] }).s, setup().entry()), ['key-unavailable', undefined]);
  const wrong = setup({ under: other, keys: [key] });
  assert.deepEqual(await statusOf(wrong.s, wrong.entry()), ['wrong-key', 'none of the other 0 key(s) sse3 can find opens it either: ' +
    'it was written outside sse3 under a key that is not here (pass it with --key REF, or bring it in and run sse3 adopt s3://b/)']);
  const gone = setup();
  gone.twin.objects.delete('b/doc');
  assert.deepEqual(await statusOf(gone.s, gone.entry()), ['missing', undefined]);
  const plain = setup({ under: null });
  assert.deepEqual(await statusOf(plain.s, plain.entry()), ['not-encrypted', undefined]);
});

test('overwritten outside sse3 under another key sse3 has: the record is replaced by the object as it is, never checked against the old one',
  async () => {
    const other2 = Buffer.from('other content, written by another client');
    for (const deep of [false, true]) {
      const { s, entry, twin } = setup({ under: other, body: other2 });
      s.manifest.record(entry());
      const r = await verifyEntry(s, entry(), deep);
      assert.equal(r.status, 'overwritten', `deep=${deep}`);
      assert.match(r.detail!, new RegExp(`written outside sse3 \\(key ${key.fingerprint} → ${other.fingerprint}\\)`));
      const row = s.manifest.lookup({ endpoint: s.conn.endpoint, bucket: 'b', key: 'doc' })!;
      assert.deepEqual([row.fingerprint, row.size, row.sha256], [other.fingerprint, other2.length, deep ? sha(other2) : ''],
        'the row describes the new content; its SHA-256 only once it was read');
      assert.equal(twin.requests.filter((q) => q.op === 'GetObject').length, deep ? 1 : 0);
    }
    // The same content under another key (a re-key by another client): with --deep that is a stale record fixed.
    const { s, entry } = setup({ under: other });
    s.manifest.record(entry());
    const r = await verifyEntry(s, entry(), true);
    assert.equal(r.status, 'stale-fixed');
    assert.deepEqual([r.entry.fingerprint, r.entry.sha256], [other.fingerprint, sha(data)]);
  });

test('a server that does not answer is thrown (the batch says error), not taken for a status', async () => {
  const { s, entry } = setup({ errorFor: (op) => (op === 'HeadObject' ? networkError() : undefined) });
  await assert.rejects(verifyEntry(s, entry(), false), (e) => e instanceof Sse3Error && e.code === 'UNREACHABLE');
});

test('re-keyed elsewhere: the tag\'s key opens the same content, the record is fixed', async () => {
  const { s, entry } = setup({ under: other, tags: { 'sse3-fp': other.fingerprint, 'sse3-sha256': sha(data) } });
  s.manifest.record(entry());
  const r = await verifyEntry(s, entry(), false);
  assert.equal(r.status, 'stale-fixed');
  assert.match(r.detail!, new RegExp(`key ${key.fingerprint} → ${other.fingerprint}`));
  assert.equal(s.manifest.lookup({ endpoint: s.conn.endpoint, bucket: 'b', key: 'doc' })?.fingerprint, other.fingerprint);
});

test('re-keyed elsewhere, but not healable: the tag\'s key is not here, or it opens other content', async () => {
  const absent = setup({ under: other, tags: { 'sse3-fp': other.fingerprint }, keys: [key] });
  assert.equal((await verifyEntry(absent.s, absent.entry(), false)).status, 'key-unavailable');
  const changed = setup({ under: other, tags: { 'sse3-fp': other.fingerprint }, body: Buffer.from('something else entirely') });
  const r = await verifyEntry(changed.s, changed.entry(), false);
  assert.equal(r.status, 'corrupt');
  assert.match(r.detail!, /holds other content than recorded here/);
});

test('--deep: the plaintext is checked against the recorded SHA-256; one recorded when there was none', async () => {
  const { s, entry } = setup();
  assert.deepEqual(await statusOf(s, entry(), true), ['ok', undefined]);
  const corrupt = setup({ body: Buffer.from('recorded plaintexT') });
  const r = await verifyEntry(corrupt.s, corrupt.entry(), true);
  assert.equal(r.status, 'corrupt');

  const adopted = setup({ tags: { own: 'tag' } });
  adopted.s.manifest.record(adopted.entry({ sha256: '' }));
  const recorded = await verifyEntry(adopted.s, adopted.entry({ sha256: '' }), true);
  assert.deepEqual([recorded.status, recorded.detail, recorded.entry.sha256], ['ok', 'SHA-256 recorded', sha(data)]);
  assert.equal(adopted.s.manifest.lookup({ endpoint: adopted.s.conn.endpoint, bucket: 'b', key: 'doc' })?.sha256, sha(data));
  assert.deepEqual(adopted.twin.objects.get('b/doc')!.tags, { own: 'tag', 'sse3-fp': key.fingerprint, 'sse3-sha256': sha(data) });
});
