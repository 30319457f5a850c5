import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestStore, newEntry } from '../../src/manifest/store.js';

const here = 'https://127.0.0.1:8443';
const fp = 'f'.repeat(20);

test('pull state: the recorded versions and what pull saw of exactly one object of one bucket of one endpoint', () => {
  const m = new ManifestStore(':memory:');
  const at = (key: string, bucket = 'b', endpoint = here) => ({ endpoint, bucket, key });
  for (const [key, bucket, endpoint] of [['p/a', 'b', here], ['p/a.bak', 'b', here], ['p/a', 'c', here], ['p/a', 'b', 'https://elsewhere']]) {
    m.record(newEntry(at(key, bucket, endpoint), { versionId: 'v1', fingerprint: fp, size: 1 }));
    m.rememberPulled(at(key, bucket, endpoint), 'v1', `stamp ${key} ${bucket} ${endpoint}`, true);
  }
  m.rememberPulled(at('p/a'), '', 'e1 2026', false);
  m.rememberPulled(at('p/a'), '', 'e2 2026', false);

  const state = m.pullState(at('p/a'));
  assert.deepEqual([...state.recorded.keys()], ['v1']);
  assert.equal(state.recorded.get('v1')?.fingerprint, fp);
  assert.deepEqual(Object.fromEntries(state.pulled), {
    v1: { stamp: `stamp p/a b ${here}`, tagged: true },
    null: { stamp: 'e2 2026', tagged: false },
  });

  m.forgetPulled(at('p/a'), '');
  assert.equal(m.pullState(at('p/a')).pulled.has('null'), false);
  m.close();
});

test('pull state counts rows still waiting to be written (deferred records) as recorded, as every object query does', () => {
  const m = new ManifestStore(':memory:');
  m.deferRecords(64, 60_000);
  m.record(newEntry({ endpoint: here, bucket: 'b', key: 'waiting' }, { versionId: 'v1', fingerprint: fp, size: 1 }));
  assert.deepEqual([...m.pullState({ endpoint: here, bucket: 'b', key: 'waiting' }).recorded.keys()], ['v1']);
  m.close();
});

test('listed versions: gone is what was in the prefix before the pull and not listed, never a row recorded meanwhile', () => {
  const m = new ManifestStore(':memory:');
  const at = (key: string, bucket = 'b') => ({ endpoint: here, bucket, key });
  // More rows than one batch of the temporary table, so listed versions are written in several transactions.
  const keys = Array.from({ length: 1200 }, (_, n) => `p/${String(n).padStart(4, '0')}`);
  for (const key of [...keys, 'p/\u{1F600}', 'p-x', 'q']) {
    m.record(newEntry(at(key), { versionId: 'v1', fingerprint: fp, size: 1 }));
    m.rememberPulled(at(key), 'v1', 's', true);
  }
  m.record(newEntry(at('p/0001', 'c'), { versionId: 'v1', fingerprint: fp, size: 1 }));
  m.rememberPulled(at('p/untagged'), 'v9', 's', false);

  const listed = m.listedVersions({ endpoint: here, bucket: 'b', prefix: 'p/' });
  for (const key of keys) if (key !== 'p/0007') listed.add(key, 'v1');
  listed.add('p/\u{1F600}', 'v2');
  // Recorded while the pull runs (by another process, or a version listed after): not gone, though not listed.
  m.deferRecords(64, 60_000);
  m.record(newEntry(at('p/late'), { versionId: 'v1', fingerprint: fp, size: 1 }));
  const gone = listed.gone();
  assert.deepEqual(gone.recorded, [{ key: 'p/0007', versionId: 'v1' }, { key: 'p/\u{1F600}', versionId: 'v1' }]);
  assert.deepEqual(gone.pulled, [{ key: 'p/0007', versionId: 'v1' }, { key: 'p/untagged', versionId: 'v9' }, { key: 'p/\u{1F600}', versionId: 'v1' }]);
  listed.close();

  const next = m.listedVersions({ endpoint: here, bucket: 'b', prefix: '' });
  assert.equal(next.gone().recorded.length, keys.length + 4, 'a new pull starts with nothing listed');
  next.close();
  m.close();
});
