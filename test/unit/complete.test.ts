import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bashCandidate, type CommandSpec, complete, shellWords } from '../../src/completion/complete.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { setEnvForTest } from '../support/env.js';
import { tempDir } from '../support/tempdir.js';

/** The command tree the build wrote from the real Commander program (npm run build: dist/completion-spec.json). */
const spec = JSON.parse(readFileSync(new URL('../../completion-spec.json', import.meta.url), 'utf8')) as CommandSpec;

/** An SSE3_HOME whose manifest records a few objects, under two keys. */
function homeWithManifest(t: TestContext): void {
  const home = tempDir('sse3-unit-');
  const m = new ManifestStore(join(home, 'manifest.db'));
  const objects: Array<[string, string, string]> = [['backups', 'photos/2026/a.jpg', 'f'.repeat(20)],
    ['backups', 'photos/readme.txt', 'f'.repeat(20)], ['backups', 'db.dump', '0a1b2c3d4e5f60718293'], ['archive', 'x', 'f'.repeat(20)],
    ['backups', 'photos/new\nline', 'f'.repeat(20)], ['backups', 'd\x1b[2Jcleared', 'f'.repeat(20)], ['backups', 'zero\u200bwidth/x', 'f'.repeat(20)]];
  for (const [bucket, key, fingerprint] of objects) {
    m.record({ endpoint: 'https://127.0.0.1:8443', bucket, key, versionId: '', fingerprint, size: 1, sha256: 'a'.repeat(64),
      etag: 'e', createdAt: new Date().toISOString() });
  }
  m.close();
  setEnvForTest(t, { SSE3_HOME: home });
}

test('shellWords reads a line as the shell does: backslashes, quotes, the word in progress', () => {
  assert.deepEqual(shellWords('sse3 get s3://b/my\\ fi'), { words: ['sse3', 'get'], current: 's3://b/my fi', raw: 's3://b/my\\ fi' });
  assert.deepEqual(shellWords("sse3 get 's3://b/it''s' "), { words: ['sse3', 'get', 's3://b/its'], current: '', raw: '' });
  assert.deepEqual(shellWords('sse3 get "a \\"b\\" \\x'), { words: ['sse3', 'get'], current: 'a "b" \\x', raw: '"a \\"b\\" \\x',
    open: { quote: '"', at: 0, before: '' } });
  assert.deepEqual(shellWords("sse3 put --key file:'my k"), { words: ['sse3', 'put', '--key'], current: 'file:my k',
    raw: "file:'my k", open: { quote: "'", at: 5, before: 'file:' } });
  assert.deepEqual(shellWords(''), { words: [], current: '', raw: '' });
});

test('bashCandidate: escaped as the word was typed, without what bash already split off at ":"', () => {
  const finished = (line: string, cur: string, c: string) => bashCandidate(c, shellWords(line), cur, true);
  assert.equal(finished('sse3 get s3://b/my\\ f', '//b/my\\ f', 's3://b/my file.txt'), '//b/my\\ file.txt ');
  assert.equal(finished('sse3 get s3://b/it', '//b/it', "s3://b/it's (1) $x.txt"), "//b/it\\'s\\ \\(1\\)\\ \\$x.txt ");
  assert.equal(finished("sse3 get 's3://b/my f", "'s3://b/my f", "s3://b/it's"), "'s3://b/it'\\''s");
  assert.equal(finished('sse3 get "s3://b/my f', '"s3://b/my f', 's3://b/a"$b'), '"s3://b/a\\"\\$b');
  assert.equal(finished("sse3 put --key file:'my k", "'my k", 'file:my key'), "'my key");
  assert.equal(finished('sse3 put ~/my\\ f', '~/my\\ f', '~/my file'), '~/my\\ file ', 'a leading ~ keeps meaning home');
  assert.equal(bashCandidate('s3://b/dir/', shellWords('sse3 get s3://b/d'), '//b/d', false), '//b/dir/');
  assert.equal(bashCandidate('s3://b/', shellWords('sse3 get s3:'), ':', false), '//b/', 'after "s3:" readline completes ""');
  assert.equal(bashCandidate('keychain:work', shellWords('sse3 put --key keychain:'), ':', true), 'work ');
  assert.equal(finished('sse3 get s3://b/d', undefined as unknown as string, 's3://b/d e'), 's3://b/d\\ e ', 'an older script gives no CUR');
});

test('complete: commands and sub-commands (never "help"), whatever path sse3 was typed with', async () => {
  const top = await complete('sse3 ', spec);
  assert.ok(['adopt', 'cp', 'get', 'keygen', 'keys', 'manifest', 'put', 'rotate', 'sync', 'verify'].every((c) => top.includes(c)), top.join(' '));
  const withHelp: CommandSpec = { name: 'sse3', options: [], commands: ['help', 'get'].map((name) => ({ name, options: [], commands: [] })) };
  assert.deepEqual(await complete('sse3 ', withHelp), ['get'], 'a help command Commander adds is not offered');
  assert.deepEqual(top, [...top].sort());
  assert.deepEqual(await complete('sse3 ke', spec), ['keygen', 'keys']);
  assert.deepEqual(await complete('sse3 keys ', spec), ['export', 'import', 'list', 'rm', 'usage']);
  assert.deepEqual(await complete('sse3 manifest r', spec), ['rebuild']);
  assert.deepEqual(await complete('/usr/local/bin/sse3 ge', spec), ['get']);
  assert.deepEqual(await complete('bin/sse3.js ge', spec), ['get']);
  assert.deepEqual(await complete('sse3 --json ge', spec), ['get'], 'after a global option');
});

test('complete: long options of the command and the global ones, each once; choices of an option that has them', async () => {
  assert.deepEqual(await complete('sse3 get --version-', spec), ['--version-id']);
  const cp = await complete('sse3 cp --', spec);
  assert.ok(cp.includes('--source-key') && cp.includes('--endpoint-url') && cp.includes('--recursive'), cp.join(' '));
  assert.ok(!cp.includes('-r') && !cp.includes('--delete'), 'long flags of this command only');
  assert.equal(new Set(cp).size, cp.length);
  assert.deepEqual(await complete('sse3 cp --server-side ', spec), ['auto', 'never']);
  assert.deepEqual(await complete('sse3 --checksums when_s', spec), ['when_supported']);
  assert.deepEqual(await complete('sse3 keygen --format b', spec), ['base64']);
  assert.deepEqual(await complete('sse3 put --content-type ', spec), [], 'a free value: nothing to offer');
});

test('complete: key references by kind; env: names from the environment; keygen and keys import offer no env:', async (t) => {
  setEnvForTest(t, { SSE3_UNIT_KEY_A: 'x', SSE3_UNIT_KEY_B: 'y' });
  assert.deepEqual(await complete('sse3 put f s3://b/k --key ', spec), ['file:', 'env:', 'keychain:']);
  assert.deepEqual(await complete('sse3 get -k e', spec), ['env:']);
  assert.deepEqual(await complete('sse3 rotate s3://b/ --to env:SSE3_UNIT_KEY_', spec), ['env:SSE3_UNIT_KEY_A', 'env:SSE3_UNIT_KEY_B']);
  assert.deepEqual(await complete('sse3 keygen ', spec), ['file:', 'keychain:']);
  assert.deepEqual(await complete('sse3 keys import ', spec), ['file:', 'keychain:']);
  assert.deepEqual(await complete('sse3 keygen env:', spec), []);
});

test('complete: local paths — folders with a slash, hidden names only when asked for, ~/ as the home folder', async (t) => {
  const dir = tempDir('sse3-unit-');
  mkdirSync(join(dir, 'r2'));
  for (const f of ['report.pdf', '.hidden', 'other', 'r\nrm -rf x', 'r\x1b]0;owned\x07']) writeFileSync(join(dir, f), '');
  assert.deepEqual(await complete(`sse3 put ${dir}/r`, spec), [`${dir}/r2/`, `${dir}/report.pdf`], 'no name with a control character');
  assert.deepEqual(await complete(`sse3 put ${dir}/`, spec), [`${dir}/other`, `${dir}/r2/`, `${dir}/report.pdf`]);
  assert.deepEqual(await complete(`sse3 put ${dir}/.h`, spec), [`${dir}/.hidden`]);
  assert.deepEqual(await complete(`sse3 put -k file:${dir}/rep`, spec), [`file:${dir}/report.pdf`], 'file: references too');
  assert.deepEqual(await complete(`sse3 keys import k --from ${dir}/o`, spec), [`${dir}/other`], 'keys import --from is a file');
  assert.deepEqual(await complete(`sse3 put ${dir}/missing/x`, spec), []);
  setEnvForTest(t, { HOME: dir });
  assert.deepEqual(await complete('sse3 put ~/r', spec), ['~/r2/', '~/report.pdf']);
});

test('complete: s3:// paths one folder at a time and fingerprints, from the manifest', async (t) => {
  homeWithManifest(t);
  assert.deepEqual(await complete('sse3 get s3://', spec), ['s3://archive/', 's3://backups/']);
  assert.deepEqual(await complete('sse3 get s3://backups/', spec), ['s3://backups/db.dump', 's3://backups/photos/']);
  assert.deepEqual(await complete('sse3 ls s3://backups/photos/', spec), ['s3://backups/photos/2026/', 's3://backups/photos/readme.txt']);
  const local = tempDir('sse3-unit-');
  writeFileSync(join(local, 'out'), '');
  assert.deepEqual(await complete(`sse3 get s3://backups/db.dump ${local}/`, spec), [`${local}/out`], 'get\'s destination is local');
  assert.deepEqual(await complete('sse3 cp s3:', spec), ['s3://archive/', 's3://backups/'], 'cp: a word that may become s3://');
  assert.deepEqual(await complete('sse3 head s3://backups/db.dump s3://', spec), [], 'head takes one URL');
  assert.deepEqual(await complete('sse3 rotate --fingerprint ', spec), ['0a1b2c3d4e5f60718293', 'f'.repeat(20)]);
  assert.deepEqual(await complete('sse3 rotate --fingerprint 0', spec), ['0a1b2c3d4e5f60718293']);
  assert.deepEqual(await complete('sse3 get --key=file:k s3://arch', spec), ['s3://archive/'], 'an option given with = takes no word');
});

test('complete: no manifest yet: no s3:// paths, and no error', async (t) => {
  setEnvForTest(t, { SSE3_HOME: join(tempDir('sse3-unit-'), 'none') });
  assert.deepEqual(await complete('sse3 get s3://', spec), []);
  assert.deepEqual(await complete('sse3 rotate --fingerprint ', spec), []);
});
