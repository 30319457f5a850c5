import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintOf, SseCKey } from '../../src/keys/key.js';
import { KeyFinder } from '../../src/core/session/session.js';
import { MemoryKeychain } from '../../src/keys/keychain.js';
import { discoverKeys, findKeyByFingerprint, generateKey, loadKey, parseKeyRef, storeKey } from '../../src/keys/sources.js';
import { Sse3Error } from '../../src/errors.js';
import { tempDir } from '../support/tempdir.js';

const tmp = () => tempDir('sse3-unit-');
const ctx = (env: NodeJS.ProcessEnv = {}) => ({ env, keychain: new MemoryKeychain() });
const code = (c: string) => (e: unknown) => e instanceof Sse3Error && e.code === c;

test('parseKeyRef accepts file:, env: and keychain:', () => {
  assert.deepEqual(parseKeyRef('file:/a/b.key'), { kind: 'file', path: '/a/b.key' });
  assert.deepEqual(parseKeyRef('file:rel:colon'), { kind: 'file', path: 'rel:colon' });
  assert.deepEqual(parseKeyRef('env:MY_KEY'), { kind: 'env', name: 'MY_KEY' });
  assert.deepEqual(parseKeyRef('keychain:prod/eu'), { kind: 'keychain', name: 'prod/eu' });
});

test('parseKeyRef refuses other forms, and says so loudly when given a key itself', () => {
  assert.throws(() => parseKeyRef('plain'), code('USAGE'));
  assert.throws(() => parseKeyRef('env:1BAD'), code('USAGE'));
  assert.throws(() => parseKeyRef('file:'), code('USAGE'));
  const pasted = randomBytes(32).toString('base64');
  assert.throws(() => parseKeyRef(pasted), (e: Sse3Error) => /looks like a key itself/.test(e.message) && !e.message.includes(pasted));
});

test('key material inside a reference is refused like a bare key, never quoted, with the exposed warning', () => {
  // Whatever the key's bytes: a base64 holding '/' (or no digit, or one case only) is still recognised.
  for (let i = 0; i < 200; i++) refusesKeyIn(randomBytes(32));
  refusesKeyIn(Buffer.from('ffbfff'.repeat(6).slice(0, 32), 'latin1'));
});

function refusesKeyIn(raw: Buffer): void {
  for (const ref of [`file:${raw.toString('base64')}`, `file:~/${raw.toString('base64').replace(/=$/, '')}`,
    `env:${raw.toString('hex')}`, `keychain:${raw.toString('base64url')}`, `file:${raw.toString('base64').replace(/=$/, '')}`, raw.toString('base64')]) {
    assert.throws(() => parseKeyRef(ref), (e: Sse3Error) => e.code === 'USAGE' && /looks like a key itself/.test(e.message), ref);
  }
}

test('text secrets and encoded keys inside references are refused; ordinary names are not', () => {
  const raw = randomBytes(32);
  const text = 'Qm4' + 'aB9'.repeat(9) + 'z2';
  assert.equal(text.length, 32);
  for (const ref of [`file:${raw.toString('base64')}`, `file:~/${raw.toString('base64')}`, `file:${raw.toString('hex')}`,
    `env:${raw.toString('hex').toUpperCase()}`, `keychain:${raw.toString('base64url')}`, `file:${raw.toString('base64').replace(/=$/, '')}`,
    `file:/keys/${text}`, `keychain:${text}`, text]) {
    assert.throws(() => parseKeyRef(ref), (e: Sse3Error) => e.code === 'USAGE' && /looks like a key itself/.test(e.message) &&
      /consider that key exposed/.test(e.hint ?? '') && !`${e.message} ${e.hint}`.includes(ref.replace(/^\w+:/, '').slice(0, 20)), ref);
  }
  // Ordinary names stay usable.
  for (const ok of ['file:~/.config/sse3/keys/production-backups-2026.key', 'keychain:production-backups-2026-key-main',
    'env:SSE3_BACKUP_KEY_FOR_THE_NIGHTLY_JOB_2026', 'file:/srv/keys/a2b.key']) assert.doesNotThrow(() => parseKeyRef(ok), ok);
});

test('file keys: raw and base64 load; group/other-readable files are refused with a chmod hint', async () => {
  const dir = tmp();
  const raw = randomBytes(32);
  const rawPath = join(dir, 'raw.key');
  writeFileSync(rawPath, raw, { mode: 0o600 });
  assert.equal((await loadKey({ kind: 'file', path: rawPath }, ctx())).fingerprint, fingerprintOf(raw));
  const b64Path = join(dir, 'b64.key');
  writeFileSync(b64Path, raw.toString('base64') + '\n', { mode: 0o400 });
  assert.equal((await loadKey({ kind: 'file', path: b64Path }, ctx())).fingerprint, fingerprintOf(raw));
  for (const mode of [0o640, 0o604, 0o644, 0o660]) {
    chmodSync(rawPath, mode);
    await assert.rejects(loadKey({ kind: 'file', path: rawPath }, ctx()),
      (e: Sse3Error) => e.code === 'KEY_FILE' && e.hint === `run: chmod 600 ${rawPath}`);
  }
  await assert.rejects(loadKey({ kind: 'file', path: join(dir, 'missing') }, ctx()), code('KEY_FILE'));
  await assert.rejects(loadKey({ kind: 'file', path: dir }, ctx()), code('KEY_FILE'));
});

test('env keys: unset, empty and malformed values are refused', async () => {
  const raw = randomBytes(32);
  assert.equal((await loadKey({ kind: 'env', name: 'K' }, ctx({ K: raw.toString('base64') }))).fingerprint, fingerprintOf(raw));
  await assert.rejects(loadKey({ kind: 'env', name: 'K' }, ctx()), code('KEY_ENV'));
  await assert.rejects(loadKey({ kind: 'env', name: 'K' }, ctx({ K: '' })), code('KEY_FORMAT'));
  await assert.rejects(loadKey({ kind: 'env', name: 'K' }, ctx({ K: raw.subarray(0, 16).toString('base64') })), code('KEY_FORMAT'));
  await assert.rejects(loadKey({ kind: 'env', name: 'K' }, ctx({ K: ' \n ' })), code('KEY_FORMAT'));
  // The forms keys import reads that a variable can hold: 64 hex digits, and a 32-character text secret used as it is.
  assert.equal((await loadKey({ kind: 'env', name: 'K' }, ctx({ K: raw.toString('hex') }))).fingerprint, fingerprintOf(raw));
  const text = 'a guide-style secret of 32 chars';
  assert.equal((await loadKey({ kind: 'env', name: 'K' }, ctx({ K: text }))).fingerprint, fingerprintOf(Buffer.from(text)));
});

test('keygen: file gets mode 0600 and 32 bytes, is never overwritten; keychain entry likewise', async () => {
  const dir = tmp();
  const path = join(dir, 'sub', 'new.key');
  const c = ctx();
  const key = await generateKey({ kind: 'file', path }, c);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(fingerprintOf(readFileSync(path)), key.fingerprint);
  await assert.rejects(generateKey({ kind: 'file', path }, c), code('KEY_EXISTS'));
  assert.equal(fingerprintOf(readFileSync(path)), key.fingerprint, 'the existing key is untouched');

  const b64 = await generateKey({ kind: 'file', path: join(dir, 'b64.key') }, c, 'base64');
  assert.equal((await loadKey({ kind: 'file', path: join(dir, 'b64.key') }, c)).fingerprint, b64.fingerprint);

  const kc = await generateKey({ kind: 'keychain', name: 'prod' }, c);
  assert.equal((await loadKey({ kind: 'keychain', name: 'prod' }, c)).fingerprint, kc.fingerprint);
  await assert.rejects(generateKey({ kind: 'keychain', name: 'prod' }, c), code('KEY_EXISTS'));
  await assert.rejects(generateKey({ kind: 'env', name: 'X' }, c), code('USAGE'));
  assert.notEqual(key.fingerprint, kc.fingerprint);
});

test('discovery finds keys in SSE3_KEY, the key folder and the keychain, and reports unusable ones', async () => {
  const dir = tmp();
  const keyDir = join(dir, 'keys');
  mkdirSync(keyDir);
  const [a, b, c, loose] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
  writeFileSync(join(keyDir, 'b.key'), b, { mode: 0o600 });
  writeFileSync(join(keyDir, 'loose.key'), loose, { mode: 0o644 });
  const context = ctx({ SSE3_KEY: a.toString('base64') });
  await context.keychain.set('c', c.toString('base64'));
  await context.keychain.set('broken', 'not-a-key');

  const all = await discoverKeys(keyDir, context);
  assert.deepEqual(all.keys.map((k) => k.ref), ['env:SSE3_KEY', `file:${join(keyDir, 'b.key')}`, 'keychain:c']);
  assert.equal(all.problems.length, 2);
  assert.ok(all.problems.some((p) => p.includes('loose.key') && p.includes('group or others')));

  for (const [raw, ref] of [[a, 'env'], [b, 'file'], [c, 'keychain']] as const) {
    const found = await findKeyByFingerprint(fingerprintOf(raw), keyDir, context);
    assert.equal(found.found?.fingerprint, fingerprintOf(raw), ref);
  }
  assert.equal((await findKeyByFingerprint(fingerprintOf(loose), keyDir, context)).found, undefined);
  assert.equal((await findKeyByFingerprint('0'.repeat(20), keyDir, context)).found, undefined);
});

test('storeKey: an imported key lands 0600 as 32 raw bytes or in the keychain, never over an existing one', async () => {
  const dir = tmp();
  const c = ctx();
  const key = new SseCKey(randomBytes(32), 'imported');
  const path = join(dir, 'sub', 'imported.key');
  await storeKey({ kind: 'file', path }, key, c);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
  assert.equal((await loadKey({ kind: 'file', path }, c)).fingerprint, key.fingerprint);
  assert.equal(readFileSync(path).length, 32);
  const other = new SseCKey(randomBytes(32), 'other');
  await assert.rejects(storeKey({ kind: 'file', path }, other, c), code('KEY_EXISTS'));
  assert.equal((await loadKey({ kind: 'file', path }, c)).fingerprint, key.fingerprint, 'the existing key is untouched');
  await storeKey({ kind: 'keychain', name: 'old' }, key, c);
  await assert.rejects(storeKey({ kind: 'keychain', name: 'old' }, other, c), code('KEY_EXISTS'));
  assert.equal((await loadKey({ kind: 'keychain', name: 'old' }, c)).fingerprint, key.fingerprint);
  await assert.rejects(storeKey({ kind: 'env', name: 'X' }, key, c, 'raw', 'keys import'), (e: Sse3Error) => /keys import/.test(e.message));
});

test('KeyFinder: keys given with --key first; the keychain is listed once per process, also for lookups in parallel', async () => {
  const dir = tmp();
  const keyDir = join(dir, 'keys');
  mkdirSync(keyDir);
  const [inFolder, inKeychain, other, given] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
  writeFileSync(join(keyDir, 'a.key'), inFolder, { mode: 0o600 });
  const keychain = new MemoryKeychain();
  await keychain.set('k', inKeychain.toString('base64'));
  await keychain.set('o', other.toString('base64'));
  let listings = 0;
  const list = keychain.list.bind(keychain);
  // The listing answers only once every lookup below has been asked for: they all wait on the one listing.
  let answerListing = () => {};
  const listingAnswered = new Promise<void>((r) => { answerListing = r; });
  keychain.list = async () => {
    listings++;
    await listingAnswered;
    return list();
  };
  const givenKey = new SseCKey(given, 'key file given');
  const finder = new KeyFinder(keyDir, { env: {}, keychain }, [givenKey]);
  assert.equal(await finder.find(givenKey.fingerprint), givenKey);
  assert.equal(listings, 0, 'a given key needs no discovery');
  assert.equal((await finder.find(fingerprintOf(inFolder)))?.source, `key file ${join(keyDir, 'a.key')}`);
  assert.equal(listings, 0, 'found in the key folder: the keychain is not asked');
  const lookups = Array.from({ length: 50 }, (_, i) =>
    finder.find(fingerprintOf(i % 3 === 0 ? inKeychain : i % 3 === 1 ? other : randomBytes(32))));
  answerListing();
  const found = await Promise.all(lookups);
  assert.equal(found.filter((k) => k?.fingerprint === fingerprintOf(inKeychain)).length, 17);
  assert.equal(found.filter((k) => k?.fingerprint === fingerprintOf(other)).length, 17);
  assert.equal(found.filter((k) => k === undefined).length, 16);
  assert.equal(await finder.find('0'.repeat(20)), undefined);
  assert.equal(listings, 1, '50 lookups at once and a miss afterwards: one listing');
});
