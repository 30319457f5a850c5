import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { VerifyStatus } from '../../src/core/objects/verify.js';
import type { UsageScan } from '../../src/core/scans/usage.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';
import type { ManifestEntry } from '../../src/manifest/entry.js';
import { reportBatch, type BatchItem } from '../../src/output/batch.js';
import { contractLine, errorJson, failureText, Output } from '../../src/output/output.js';
import { removedSummary, renderWouldDelete, syncSummary, verifySummary, wouldDeleteSummary } from '../../src/output/render.js';
import { renderKeyImported, renderKeygen, renderKeyList, renderKeyNeededBy, renderKeyUsage } from '../../src/output/render-keys.js';
import { noManifestEntries, notImportedWarning, renderAliasAdded, renderAliases, renderImported, renderManifestEntry, renderPulled,
  renderRebuilt } from '../../src/output/render-manifest.js';

/** An Output writing into strings, as a command's does into a pipe: no colour, no bars. */
function captured(opts: { json?: boolean; quiet?: boolean } = {}) {
  const text = { out: '', err: '' };
  const stream = (k: 'out' | 'err') => new Writable({ write(chunk, _e, cb) { text[k] += chunk.toString(); cb(); } }) as unknown as NodeJS.WriteStream;
  return { out: new Output(opts, stream('out'), stream('err')), text };
}
const plain = captured().out;
const FP = ['0123456789abcdef0123', 'fedcba9876543210fedc', 'aaaaaaaaaaaaaaaaaaaa'];
const lines = (line: string | string[]) => (Array.isArray(line) ? line : [line]);

test('keys list: references padded to one column, or where sse3 looked when it found none', () => {
  const r = renderKeyList(plain, { keyDir: '/k', problems: ['p'], keys: [{ ref: 'file:/k/a.key', fingerprint: FP[0], objects: 2 },
    { ref: 'env:SSE3_KEY', fingerprint: FP[1], objects: 0 }] });
  assert.deepEqual(r.line, [`file:/k/a.key  ${FP[0]}  2 recorded object version(s)`, `env:SSE3_KEY   ${FP[1]}  0 recorded object version(s)`]);
  assert.deepEqual(r.json, { ok: true, keyDir: '/k', keys: [{ ref: 'file:/k/a.key', fingerprint: FP[0], objects: 2 },
    { ref: 'env:SSE3_KEY', fingerprint: FP[1], objects: 0 }], problems: ['p'] });
  assert.deepEqual(renderKeyList(plain, { keyDir: '/k', problems: [], keys: [] }).line,
    ['no keys found (key folder /k, SSE3_KEY, keychain service sse3)']);
});

test('keygen and keys import: where the key is and its fingerprint; a key file comes with what finds it', () => {
  const file = { ref: 'file:/k/new.key', kind: 'file' as const, fingerprint: FP[0], keyDir: '/k' };
  const made = renderKeygen(plain, file);
  assert.deepEqual(lines(made.line).slice(0, 2), ['✓ new key file:/k/new.key', `  fingerprint ${FP[0]}`]);
  assert.match(lines(made.line)[2], /back it up: an object encrypted with this key cannot be read without it$/);
  assert.match(lines(made.line)[3], /get, head, verify and adopt find keys in \/k by themselves; others need --key file:\/k\/new\.key/);
  assert.deepEqual(made.json, { ok: true, ref: 'file:/k/new.key', fingerprint: FP[0] });
  // A key file outside the key folder is found by nothing: said, with where it is in full.
  const outside = lines(renderKeygen(plain, { ...file, ref: 'file:rel.key' }).line);
  assert.equal(outside[3], `  it is outside the key folder: every command needs --key file:${process.cwd()}/rel.key (or move it into /k, ` +
    'where get, head, verify and adopt find keys by themselves)');
  // A keychain key is backed up too: the entry is its only copy.
  const inKeychain = lines(renderKeygen(plain, { ...file, ref: 'keychain:x', kind: 'keychain' }).line);
  assert.match(inKeychain[2], /back it up: .*this keychain entry is its only copy; sse3 keys export keychain:x --to file:PATH writes a copy/);
  assert.match(inKeychain[3], /find keychain keys by themselves; put, cp and sync need --key keychain:x/);
  const imported = renderKeyImported(plain, { ...file, format: 'base64' });
  assert.equal(lines(imported.line)[0], '✓ imported key file:/k/new.key (base64)');
  assert.match(lines(imported.line)[2], /find keys in \/k by themselves; others need --key file:\/k\/new\.key/);
  assert.deepEqual(imported.json, { ok: true, ref: 'file:/k/new.key', fingerprint: FP[0], format: 'base64' });
});

test('keys usage: keys most needed first, what the tags could not tell, and the answer for one fingerprint', () => {
  const scan: UsageScan = { scopes: [{ bucket: 'b', prefix: '' }, { bucket: 'c', prefix: 'x/' }], allVersions: true, scanned: 9,
    byFingerprint: new Map([[FP[0], { objects: 1, versions: 2 }], [FP[1], { objects: 3, versions: 4 }]]),
    untagged: { objects: 1, versions: 1 }, plain: { objects: 2, versions: 3 }, unreadable: { objects: 0, versions: 0 } };
  const all = renderKeyUsage(plain, scan, new Set([FP[1]]));
  assert.deepEqual(all.line, [`${FP[1]}  3 object(s), 4 version(s)  key available here`, `${FP[0]}  1 object(s), 2 version(s)  key NOT available here`,
    '9 object version(s) read in s3://b/ s3://c/x/',
    '1 object(s), 1 version(s) with no sse3-fp tag: their key is unknown (adopt them first: sse3 adopt s3://BUCKET --key REF)',
    '2 object(s), 3 version(s) not encrypted (plain): they need no key']);
  assert.deepEqual(all.json.plain, { objects: 2, versions: 3 }, 'plain versions are counted apart from those whose key is unknown');
  assert.deepEqual(all.json.keys, [{ fingerprint: FP[1], objects: 3, versions: 4, availableHere: true },
    { fingerprint: FP[0], objects: 1, versions: 2, availableHere: false }]);
  assert.equal(all.json.ok, true);
  const one = renderKeyUsage(plain, { ...scan, allVersions: false, untagged: { objects: 0, versions: 0 } }, new Set(), FP[2]);
  assert.equal(one.line[0], `no current object in these scopes needs key ${FP[2]} (the key is NOT available here); older versions may: add --versions`);
  assert.deepEqual([one.json.fingerprint, one.json.needed, one.json.availableHere], [FP[2], { objects: 0, versions: 0 }, false]);
  const needed = renderKeyNeededBy({ bucket: 'b', key: 'k', versionId: 'v1', isLatest: true, size: 3, fingerprint: FP[0] }, FP[0]);
  assert.equal(needed.line, 's3://b/k  version v1 (current)');
  assert.deepEqual(needed.json, { ok: true, url: 's3://b/k', bucket: 'b', key: 'k', versionId: 'v1', isLatest: true, size: 3, fingerprint: FP[0] });
});

test('manifest list, rebuild, pull, import and alias: each result in words and as JSON', () => {
  const e: ManifestEntry = { endpoint: 'https://s3', bucket: 'b', key: 'k', versionId: '', fingerprint: FP[0], size: 2048, sha256: 's',
    etag: 'e', createdAt: '2026-01-01T00:00:00.000Z' };
  assert.deepEqual(renderManifestEntry(plain, e), { line: `s3://b/k  key ${FP[0]}  2.00 KiB  2026-01-01T00:00:00.000Z  https://s3`,
    json: { ok: true, url: 's3://b/k', ...e } });
  assert.equal(noManifestEntries({ bucket: 'b', prefix: 'x/' }), 'the manifest has no entries under s3://b/x/');
  const scope = { bucket: 'b', prefix: '' };
  const rebuilt = renderRebuilt(plain, scope, { recorded: 3, added: 1, updated: 1, unchanged: 1, untagged: 2, denied: 0 }, undefined);
  assert.equal(rebuilt.line, '✓ rebuilt 3 entries from s3://b/: 1 added, 1 updated, 1 unchanged (2 object version(s) without an sse3 tag skipped)');
  assert.deepEqual(rebuilt.json, { ok: true, scope: 's3://b/', added: 1, updated: 1, unchanged: 1, untagged: 2, denied: 0, movedAside: null });
  assert.equal((renderRebuilt(plain, scope, { recorded: 3, added: 3, updated: 0, unchanged: 0, untagged: 0, denied: 1 }, '/aside').json as
    { ok: boolean }).ok, false);
  const pulled = renderPulled(plain, scope, { listed: 5, unchanged: 2, read: 3, recorded: 2, untagged: 1, denied: 0,
    removed: [{ url: 's3://b/gone', versionId: '' }] });
  assert.match(String(pulled.line), /5 version\(s\) listed, 2 unchanged, 3 new or changed read \(2 recorded, 1 without an sse3 tag\), 1 record/);
  assert.deepEqual((pulled.json as { removed: unknown }).removed, [{ url: 's3://b/gone', bucket: 'b', key: 'gone', versionId: null }]);
  const imported = renderImported(plain, { file: 'm.json', counts: { added: 2, alreadyRecorded: 1, aliases: 0 },
    notImported: { rotations: 0, uploads: 0 }, backup: '/b.db' });
  assert.equal(imported.line, '✓ imported m.json: 2 object version(s) added, 1 already recorded, 0 endpoint alias(es); the manifest before the import is in /b.db');
  assert.deepEqual(imported.json, { ok: true, file: 'm.json', added: 2, alreadyRecorded: 1, aliases: 0,
    notImported: { rotations: 0, uploads: 0 }, backup: '/b.db', movedAside: null });
  assert.equal(notImportedWarning('m.json', { rotations: 0, uploads: 0 }), undefined);
  assert.match(notImportedWarning('m.json', { rotations: 1, uploads: 2 })!, /^1 open rotation\(s\) and 2 open upload\(s\) in m\.json not imported/);
  assert.deepEqual(renderAliases([]), { line: ['no endpoint aliases'], json: { ok: true, aliases: [] }, kind: 'note' },
    'an empty list says so on stderr: stdout holds only aliases');
  const alias = renderAliasAdded(plain, { alias: 'https://a', endpoint: 'https://b', moved: 3, replaced: 0 });
  assert.equal(alias.line, '✓ https://a is another name of https://b: 3 object version(s) now recorded under https://b');
  assert.deepEqual(alias.json, { ok: true, alias: 'https://a', endpoint: 'https://b', moved: 3, replaced: 0, backup: null });
});

test('the closing summaries of verify, sync and rm', () => {
  const counts = { 'ok': 3, 'stale-fixed': 1, 'overwritten': 0, 'key-unavailable': 0, 'wrong-key': 1, 'missing': 0, 'not-encrypted': 0, 'corrupt': 0, 'error': 1 } satisfies Record<VerifyStatus, number>;
  assert.deepEqual(verifySummary(counts, 6, true), { json: { deep: true, checked: 6, counts }, line: '6 object version(s) checked (deep): 3 OK, 1 stale record(s) fixed, 2 not OK',
    failure: '2 of 6 object version(s) are not OK', hint: 'see the list above' });
  const done = { upload: 0, download: 0, copy: 2, delete: 1, unchanged: 1, bytes: 3 * 1024 * 1024 };
  const tally = { unchanged: 4, notDeleted: 2, skipped: 1, unrecorded: 0, plain: 0, underOtherKeys: {} };
  assert.deepEqual(syncSummary({ copy: true, dryRun: true, done, tally, succeeded: 3, failed: 0 }), {
    json: { succeeded: 3, uploaded: 0, downloaded: 0, copied: 2, deleted: 1, unchanged: 5, failed: 0, bytes: 3 * 1024 * 1024, skipped: 3, dryRun: true },
    line: 'dry run, nothing changed: would have 2 copied, 1 deleted, 5 unchanged, 0 failed, 3.00 MiB; 2 only in the destination, kept ' +
      '(--delete removes them)' });
  assert.equal(syncSummary({ copy: false, dryRun: false, done, tally: { ...tally, notDeleted: 0 }, succeeded: 3, failed: 1 }).line,
    '0 uploaded, 0 downloaded, 1 deleted, 5 unchanged, 1 failed, 3.00 MiB');
  const down = syncSummary({ copy: false, down: true, dryRun: false, done: { ...done, download: 3 }, tally: { ...tally, notDeleted: 0, plain: 2 }, succeeded: 4,
    failed: 0 });
  assert.equal(down.line, '0 uploaded, 3 downloaded (2 of them not encrypted), 1 deleted, 5 unchanged, 0 failed, 3.00 MiB');
  assert.equal(down.json.plain, 2, 'plain downloads are counted in the JSON summary too');
  assert.deepEqual(renderWouldDelete({ bucket: 'b', key: 'k', versionId: 'v' }), { line: '(dry run) would delete s3://b/k  version v',
    json: { ok: true, dryRun: true, url: 's3://b/k', bucket: 'b', key: 'k', versionId: 'v' } });
  assert.deepEqual(wouldDeleteSummary(2).json, { ok: true, dryRun: true, wouldDelete: 2 });
  const removed = removedSummary({ ok: 2, failed: 0 }, [{ fingerprint: FP[0], buckets: ['b'], retirable: false }]);
  assert.match(removed.line.join('\n'), /^2 deleted, 0 failed\nno object recorded here needs key 0123456789abcdef0123; before retiring it/);
  assert.deepEqual(removed.json.retirableFingerprints, []);
});

test('an error line carries what a script branches on, for a command and for a failed item alike', () => {
  const e = new Sse3Error('NO_KEY', 'no key', undefined, { exitCode: ExitCode.KEY });
  assert.deepEqual(errorJson(e), { code: 'NO_KEY', message: 'no key', hint: null, exitCode: 3 });
  assert.deepEqual(errorJson(new Error('odd')), { code: 'S3', message: 'odd', hint: null, exitCode: 1 });
  const { out, text } = captured({ json: true });
  out.error(e);
  assert.equal(text.out, JSON.stringify({ ok: false, error: errorJson(e) }) + '\n', 'one compact line');
  assert.equal(text.err, 'error: no key\n');
});

test('with object data on stdout, every JSON line goes to stderr, the error included, and stdout gets none', () => {
  const { out, text } = captured({ json: true });
  out.dataStream();
  out.show({ line: 'x', json: { url: 's3://b/k' } });
  out.error(new Sse3Error('NO_OBJECT', 'gone', 'look elsewhere'));
  assert.equal(text.out, '');
  assert.deepEqual(text.err.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)), [{ ok: true, url: 's3://b/k' },
    { ok: false, error: { code: 'NO_OBJECT', message: 'gone', hint: 'look elsewhere', exitCode: 1 } }]);
});

test('the contract in one place: compact lines, ok on every result, "" never for a version id, a SHA-256 or a fingerprint', () => {
  assert.equal(contractLine({ url: 's3://b/k', versionId: '', sha256: '', fingerprint: '' }),
    '{"ok":true,"url":"s3://b/k","versionId":null,"sha256":null,"fingerprint":null}\n');
  assert.equal(contractLine({ ok: false, versionId: 'null', nested: [{ versionId: '' }] }),
    '{"ok":false,"versionId":"null","nested":[{"versionId":null}]}\n', 'S3\'s "null" version stays "null"; nested fields too');
  assert.equal(contractLine({ summary: { ok: true, listed: 0 } }), '{"summary":{"ok":true,"listed":0}}\n', 'a summary line has ok inside');
});

/** A batch of verify-like results finishing in reverse order: item i takes (n - i) turns of the event loop. */
function results(n: number, bad: number[] = []) {
  return (async function* () {
    for (let i = 0; i < n; i++) {
      yield { label: `s3://b/${i}`, run: async () => {
        for (let k = 0; k < (n - i) * 3; k++) await new Promise<void>((r) => setImmediate(r));
        return { i, code: bad.includes(i) ? (i % 2 ? ExitCode.KEY : ExitCode.INTEGRITY) : ExitCode.OK };
      } } satisfies BatchItem<{ i: number; code: ExitCode }>;
    }
  })();
}
const orderedBatch = (out: Output, n: number, bad: number[] = []) => reportBatch(out, results(n, bad), {
  jobs: 4, signal: new AbortController().signal, ordered: true, bars: false,
  render: (r) => ({ line: `line ${r.i}`, json: { i: r.i } }), resultExitCode: (r) => r.code,
  summary: (s) => ({ json: { counts: { ok: s.ok, bad: s.failed } }, line: `${s.ok} fine`, failure: `${s.failed} bad`, hint: 'see above' }),
});

test('an ordered batch: one line per result in order, then the summary with ok, then the error line last', async () => {
  const { out, text } = captured({ json: true });
  await assert.rejects(orderedBatch(out, 6, [1, 4]), (e: unknown) => e instanceof Sse3Error && e.code === 'BATCH' && e.exitCode === ExitCode.INTEGRITY);
  out.error(new Sse3Error('BATCH', '2 bad', 'see above', { exitCode: ExitCode.INTEGRITY }));
  assert.deepEqual(text.out.trim().split('\n').map((l) => JSON.parse(l)), [...[0, 1, 2, 3, 4, 5].map((i) => ({ ok: true, i })),
    { summary: { counts: { ok: 4, bad: 2 }, ok: false } },
    { ok: false, error: { code: 'BATCH', message: '2 bad', hint: 'see above', exitCode: ExitCode.INTEGRITY } }]);
  const fine = captured({ json: true });
  await orderedBatch(fine.out, 3);
  assert.deepEqual(fine.text.out.trim().split('\n').map((l) => JSON.parse(l)).at(-1), { summary: { counts: { ok: 3, bad: 0 }, ok: true } });
});

test('an ordered batch in words (verify): its lines in order on stdout, failed ones and the summary on stderr', async () => {
  const { out, text } = captured();
  await orderedBatch(out, 5);
  assert.equal(text.out, 'line 0\nline 1\nline 2\nline 3\nline 4\n');
  assert.equal(text.err, '5 fine\n');
  const failing = captured();
  await assert.rejects(orderedBatch(failing.out, 5, [1, 3]));
  assert.equal(failing.text.out, 'line 0\nline 2\nline 4\n');
  assert.equal(failing.text.err, 'line 1\nline 3\n3 fine\n');
  // -q leaves out the ✓ lines and the summary, never a failure.
  const quiet = captured({ quiet: true });
  await assert.rejects(orderedBatch(quiet.out, 5, [1, 3]));
  assert.equal(quiet.text.out, '');
  assert.equal(quiet.text.err, 'line 1\nline 3\n');
});

test('each kind of human line goes to its stream, and -q keeps results and failures only', () => {
  for (const quiet of [false, true]) {
    const { out, text } = captured({ quiet });
    out.result('a result', {});
    out.show({ line: '✓ done', json: {}, kind: 'done' });
    out.say('✗ failed', 'failure');
    out.info('a note');
    out.item('a row', {});
    out.summary({ ok: true }, 'a summary');
    out.itemError('s3://b/k', new Sse3Error('NO_KEY', 'no key here'));
    assert.equal(text.out, quiet ? 'a result\na row\n' : 'a result\n✓ done\na row\n');
    assert.equal(text.err, quiet ? '✗ failed\n✗ s3://b/k: no key here\n' : '✗ failed\na note\na summary\n✗ s3://b/k: no key here\n');
  }
  // Where stdout carries object data (get -), results go to stderr with the rest.
  const data = captured();
  data.out.dataStream();
  data.out.result('a result', {});
  assert.equal(data.text.out, '');
  assert.equal(data.text.err, 'a result\n');
});

test('a failure line names the object once', () => {
  assert.equal(failureText('s3://b/k', 's3://b/k needs the key with fingerprint x'), 's3://b/k needs the key with fingerprint x');
  assert.equal(failureText('s3://b/k', 'no answer'), 's3://b/k: no answer');
  assert.equal(failureText('s3://b/k (version v1)', 'tags of s3://b/k could not be read'), 'tags of s3://b/k could not be read (version v1)');
  assert.equal(failureText('s3://b/k (version v1)', 'no answer'), 's3://b/k (version v1): no answer');
});

test('a batch stopped by Ctrl-C ends with one interruption: no line for each item it cut short, no summary', async () => {
  const stop = new AbortController();
  const { out, text } = captured();
  const items = (async function* () {
    yield { label: 'done', run: async () => 1 };
    for (const label of ['cut1', 'cut2']) {
      yield { label, run: () => new Promise<number>((_ok, fail) => {
        stop.signal.addEventListener('abort', () => fail(new Sse3Error('INTERRUPTED', `download of ${label} was interrupted`)));
        if (label === 'cut2') setImmediate(() => stop.abort());
      }) };
    }
  })();
  await assert.rejects(reportBatch<number>(out, items, { jobs: 3, signal: stop.signal, render: (n) => ({ line: `✓ ${n}`, json: { n } }) }),
    (e: unknown) => e instanceof Sse3Error && e.code === 'INTERRUPTED' && e.message === 'interrupted; nothing partial was kept');
  assert.equal(text.out, '✓ 1\n');
  assert.equal(text.err, '');
});

test('a batch reported line by line: NDJSON results as they finish, a summary line, and the worst exit status', async () => {
  const { out, text } = captured({ json: true });
  const failing = (async function* () {
    yield { label: 'a', run: async () => 1 };
    yield { label: 'b', run: async () => { throw new Sse3Error('UNREACHABLE', 'no answer'); } };
  })();
  await assert.rejects(reportBatch<number>(out, failing, { jobs: 2, signal: new AbortController().signal, render: (n) => ({ line: `${n}`, json: { n } }) }),
    (e: unknown) => e instanceof Sse3Error && e.exitCode === ExitCode.UNREACHABLE && /rerun once the server answers/.test(e.hint ?? ''));
  assert.deepEqual(text.out.trim().split('\n').map((l) => JSON.parse(l)), [{ ok: true, n: 1 },
    { ok: false, path: 'b', error: { code: 'UNREACHABLE', message: 'no answer', hint: null, exitCode: ExitCode.UNREACHABLE } },
    { summary: { succeeded: 1, failed: 1, ok: false } }]);
});

test('a batch where many items fail for one cause says a few, then one line with the count and examples, and that cause\'s fix', async () => {
  const missing = (label: string) => new Sse3Error('NO_KEY', `${label} needs the key with fingerprint ${'a'.repeat(20)}, which sse3 cannot find`,
    'pass it with --key REF');
  const items = (n: number) => (async function* () {
    for (let i = 0; i < n; i++) yield { label: `s3://b/k${i}`, run: async (): Promise<number> => { throw missing(`s3://b/k${i}`); } };
    yield { label: 's3://b/other', run: async (): Promise<number> => { throw new Sse3Error('NO_OBJECT', 's3://b/other does not exist'); } };
  })();
  const opts = { jobs: 1, signal: new AbortController().signal, ordered: true, bars: false, render: (n: number) => ({ line: `${n}`, json: { n } }) };
  const { out, text } = captured();
  await assert.rejects(reportBatch<number>(out, items(10), opts), (e: unknown) => e instanceof Sse3Error && e.code === 'BATCH');
  const lines = text.err.trimEnd().split('\n');
  assert.deepEqual(lines.filter((l) => l.startsWith('✗ s3://b/k')), [0, 1, 2].map((i) => `✗ s3://b/k${i} needs the key with fingerprint ` +
    `${'a'.repeat(20)}, which sse3 cannot find`));
  assert.ok(lines.includes('✗ s3://b/other does not exist'), 'a failure of another cause is said as it comes');
  assert.ok(lines.includes(`✗ 7 more failed the same way: needs the key with fingerprint ${'a'.repeat(20)}, which sse3 cannot find ` +
    '(e.g. s3://b/k3, s3://b/k4, s3://b/k5, …)'), text.err);
  // One cause, one fix: the batch's hint is that cause's own.
  const one = captured();
  await assert.rejects(reportBatch<number>(one.out, (async function* () {
    for (let i = 0; i < 5; i++) yield { label: `s3://b/k${i}`, run: async (): Promise<number> => { throw missing(`s3://b/k${i}`); } };
  })(), opts), (e: unknown) => e instanceof Sse3Error && e.hint === 'pass it with --key REF');
  // JSON keeps one line per item.
  const json = captured({ json: true });
  await assert.rejects(reportBatch<number>(json.out, items(10), opts));
  assert.equal(json.text.out.trim().split('\n').filter((l) => JSON.parse(l).error?.code === 'NO_KEY').length, 10);
});
