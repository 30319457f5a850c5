import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestStore, newEntry } from '../../src/manifest/store.js';

const here = 'https://127.0.0.1:8443';

test('pull state: the recorded versions and what pull saw, under exactly one prefix of one bucket of one endpoint', () => {
  const m = new ManifestStore(':memory:');
  const at = (key: string, bucket = 'b', endpoint = here) => ({ endpoint, bucket, key });
  for (const [key, bucket, endpoint] of [['p/a', 'b', here], ['p/\u{1F600}', 'b', here], ['p-x', 'b', here], ['p/a', 'c', here],
    ['p/a', 'b', 'https://elsewhere']]) {
    m.record(newEntry(at(key, bucket, endpoint), { versionId: 'v1', fingerprint: 'f'.repeat(20), size: 1 }));
    m.rememberPulled(at(key, bucket, endpoint), 'v1', `stamp ${key}`, true);
  }
  m.rememberPulled(at('p/untagged'), '', 'e1 2026', false);
  m.rememberPulled(at('p/untagged'), '', 'e2 2026', false);

  const state = m.pullState({ endpoint: here, bucket: 'b', prefix: 'p/' });
  assert.deepEqual([...state.recorded.keys()].sort(), ['p/a\0v1', 'p/\u{1F600}\0v1']);
  assert.deepEqual(Object.fromEntries(state.pulled), {
    'p/a\0v1': { stamp: 'stamp p/a', tagged: true },
    'p/\u{1F600}\0v1': { stamp: 'stamp p/\u{1F600}', tagged: true },
    'p/untagged\0null': { stamp: 'e2 2026', tagged: false },
  });
  assert.equal(m.pullState({ endpoint: here, bucket: 'b', prefix: '' }).pulled.size, 4, 'the whole bucket');

  m.forgetPulled(at('p/untagged'), '');
  assert.equal(m.pullState({ endpoint: here, bucket: 'b', prefix: 'p/' }).pulled.has('p/untagged\0null'), false);
  m.close();
});

test('pull state counts rows still waiting to be written (deferred records) as recorded, as every object query does', () => {
  const m = new ManifestStore(':memory:');
  m.deferRecords(64, 60_000);
  m.record(newEntry({ endpoint: here, bucket: 'b', key: 'waiting' }, { versionId: 'v1', fingerprint: 'f'.repeat(20), size: 1 }));
  assert.deepEqual([...m.pullState({ endpoint: here, bucket: 'b', prefix: '' }).recorded.keys()], ['waiting\0v1']);
  m.close();
});
