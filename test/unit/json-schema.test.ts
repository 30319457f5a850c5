// The schema of sse3's --json lines and the checker the contract test validates with: what each accepts and refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema, violations } from '../support/json-schema.js';
import { contractLine, errorJson, itemErrorJson } from '../../src/output/output.js';
import { Sse3Error } from '../../src/errors.js';

const SCHEMA = loadSchema();
const SHA = 'a'.repeat(64);
const valid = (j: unknown) => violations(SCHEMA, j);
const line = (j: unknown) => JSON.parse(contractLine(j));

test('the schema takes what the contract writes: results, failed items, summaries and error lines', () => {
  for (const j of [
    { ok: true, url: 's3://b/k', bucket: 'b', key: 'k', versionId: null, size: 3, sha256: SHA, fingerprint: '0123456789abcdef0123' },
    { ok: true, url: 's3://b/k', bucket: 'b', key: 'k', versionId: 'null', status: 'rotated' },
    { ok: false, url: 's3://b/k', bucket: 'b', key: 'k', versionId: 'v1', status: 'wrong-key' },
    { summary: { ok: true, succeeded: 0, failed: 0 } },
    { summary: { ok: false, deep: false, checked: 2, counts: { 'ok': 1, 'wrong-key': 1 } } },
    line(itemErrorJson('s3://b/k', new Sse3Error('NO_OBJECT', 'gone'))),
    line(itemErrorJson('dir/f', new Error('odd'))),
    line({ ok: false, error: errorJson(new Sse3Error('BATCH', '1 of 2 objects failed', 'the lines above say why')) }),
    line({ url: 's3://b/k', versionId: '', sha256: '' }),
  ]) assert.deepEqual(valid(j), [], JSON.stringify(j));
});

test('the schema refuses the shapes the contract rules out', () => {
  const refused: Array<[string, unknown]> = [
    ['a failure named by source, its error without hint or exit status', { ok: false, source: 'b', error: { code: 'S3', message: 'x' } }],
    ['a summary whose ok is a count', { summary: { ok: 1, failed: 0 } }],
    ['a summary without ok', { summary: { entries: 0 } }],
    ['"" as a version id', { ok: true, url: 's3://b/k', versionId: '' }],
    ['"" as a SHA-256', { ok: true, url: 's3://b/k', sha256: '' }],
    ['"" as a version id deep inside', { ok: true, manifest: { versionId: '' } }],
    ['a result without ok', { url: 's3://b/k' }],
    ['ls\'s word for where a fingerprint was read, as source', { ok: true, url: 's3://b/k', source: 'manifest' }],
    ['key as an object', { ok: true, url: 's3://b/k', key: { fingerprint: 'f' } }],
    ['an unknown error code', { ok: false, error: { code: 'NOPE', message: 'm', hint: null, exitCode: 1 } }],
    ['an error line with more than ok and error, naming nothing', { ok: false, error: { code: 'S3', message: 'm', hint: null, exitCode: 1 }, extra: 1 }],
  ];
  for (const [why, j] of refused) assert.notDeepEqual(valid(j), [], why);
});

test('the checker knows every keyword the schema uses, and refuses one it does not know', () => {
  assert.throws(() => violations({ maxLength: 3 }, 'abcd'), /maxLength is not one the checker knows/);
  assert.deepEqual(violations({ type: 'integer', minimum: 0 }, 3), []);
  assert.notDeepEqual(violations({ type: 'integer' }, 1.5), []);
});
