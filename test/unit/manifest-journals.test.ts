import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ManifestEntry, ManifestStore } from '../../src/manifest/store.js';

const here = 'https://127.0.0.1:8443';
const loc = { endpoint: here, bucket: 'b', key: 'k' };
const fp = (c: string) => c.repeat(20);
const entry = (over: Partial<ManifestEntry> = {}): ManifestEntry => ({ ...loc, versionId: 'v2', fingerprint: fp('2'), size: 3,
  sha256: 'a'.repeat(64), etag: 'e', createdAt: '2026-11-27T00:00:00.000Z', mtimeMs: null, ...over });

test('rotations are journalled pending (with this process and the time), listed per endpoint in order, and settled out of the list',
  () => {
    const m = new ManifestStore(':memory:');
    const before = Date.now();
    const intent = { ...loc, oldVersion: 'v1', oldFingerprint: fp('1'), newFingerprint: fp('2'), size: 3, sha256: 'a'.repeat(64) };
    const first = m.journalRotation(intent);
    const second = m.journalRotation({ ...intent, key: 'other' });
    const elsewhere = m.journalRotation({ ...intent, endpoint: 'https://elsewhere' });
    assert.ok(first < second && second < elsewhere);
    const open = m.openRotations(here);
    assert.deepEqual(open.map((r) => r.id), [first, second]);
    const { startedAt, ...rest } = open[0];
    assert.deepEqual(rest, { id: first, ...intent, state: 'pending', pid: process.pid });
    assert.ok(Date.parse(startedAt) >= before - 1000 && Date.parse(startedAt) <= Date.now() + 1000, startedAt);
    assert.equal(m.openRotations().length, 3);

    m.settleRotation(first, 'done');
    m.settleRotation(elsewhere, 'abandoned');
    assert.deepEqual(m.openRotations().map((r) => r.id), [second]);
    m.close();
  });

test('uploads: journalled with their token, marked completing with the checksum, recorded and ended in one step', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-journals-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const m = new ManifestStore(join(dir, 'manifest.db'));
  const other = new ManifestStore(join(dir, 'manifest.db'));
  const upload = { ...loc, uploadId: 'u1', fingerprint: fp('2'), pid: 42, startedAt: '2026-11-27T00:00:00.000Z', token: 't0k3n' };
  const { token: _token, ...withoutToken } = upload;
  m.beginUpload(upload);
  m.beginUpload({ ...withoutToken, uploadId: 'u-old' });
  m.beginUpload({ ...upload, endpoint: 'https://elsewhere', uploadId: 'u3' });
  m.completingUpload(loc, 'u1', 'c'.repeat(64), 12);
  const pending = new Map(m.pendingUploads(here).map((u) => [u.uploadId, u]));
  assert.deepEqual([...pending.keys()].sort(), ['u-old', 'u1']);
  assert.deepEqual(pending.get('u1'), { ...upload, completing: { sha256: 'c'.repeat(64), size: 12 } });
  assert.deepEqual(pending.get('u-old'), { ...withoutToken, uploadId: 'u-old' }, 'journalled without a token: none, and not completing');
  assert.equal(m.pendingUploads().length, 3);

  // The export leaves tokens out (they prove which object this manifest's upload wrote) and keeps the rest.
  assert.deepEqual(m.document().pendingUploads.find((u) => u.uploadId === 'u1'),
    { ...withoutToken, completing: { sha256: 'c'.repeat(64), size: 12 } });

  // Even with records deferred, the finished object's row and the end of its upload are written together at once.
  m.deferRecords(64, 60_000);
  m.recordUpload(entry(), 'u1');
  assert.equal(other.lookup(loc)?.fingerprint, fp('2'));
  assert.deepEqual(other.pendingUploads(here).map((u) => u.uploadId), ['u-old']);
  m.endUpload(loc, 'u-old');
  assert.deepEqual(other.pendingUploads(here), []);
  m.close();
  other.close();
});

test('a batch rotation is settled done with its new row, in one transaction for a group; a read of another object leaves the '
  + 'group waiting', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-journals-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const m = new ManifestStore(join(dir, 'manifest.db'));
  const other = new ManifestStore(join(dir, 'manifest.db'));
  m.deferRecords(64, 60_000);
  const intent = (key: string) => ({ ...loc, key, oldVersion: 'null', oldFingerprint: fp('1'), newFingerprint: fp('2'), size: 3,
    sha256: 'a'.repeat(64) });
  const ids = ['k1', 'k2'].map((key) => {
    const claimed = m.claimRotation(intent(key), () => undefined);
    assert.ok('id' in claimed);
    assert.deepEqual(claimed.others, [], 'no other rotation of it was journalled');
    // Journalled at once: another process sees the claim before anything is written.
    assert.equal(other.rotation(claimed.id)?.state, 'pending');
    m.record(entry({ key, versionId: 'null' }));
    m.rotationDone(claimed.id, { ...loc, key });
    return claimed.id;
  });
  // Reads of other objects (the next ones of the batch) do not write the group.
  assert.equal(m.lookup({ ...loc, key: 'k3' }), undefined);
  assert.deepEqual(m.versions({ ...loc, key: 'k3' }), []);
  assert.deepEqual(m.rotationsOf({ ...loc, key: 'k3' }), []);
  assert.deepEqual(ids.map((id) => other.rotation(id)?.state), ['pending', 'pending']);
  assert.equal(other.lookup({ ...loc, key: 'k1' }), undefined);
  // A read of one of its objects writes the group first: rows, then settlements.
  assert.deepEqual(m.rotationsOf({ ...loc, key: 'k2' }).map((r) => r.state), ['done']);
  assert.deepEqual(ids.map((id) => other.rotation(id)?.state), ['done', 'done']);
  assert.deepEqual(['k1', 'k2'].map((key) => other.lookup({ ...loc, key })?.fingerprint), [fp('2'), fp('2')]);
  m.close();
  other.close();
});
