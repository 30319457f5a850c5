// The one rule for text that looks like a key (src/keys/likeness.ts), and the places that ask it: key references
// and keys import's --from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { looksLikeKey } from '../../src/keys/likeness.js';
import { parseKeyRef } from '../../src/keys/sources.js';
import { keysImport } from '../../src/commands/keys-import.js';
import type { CommandRun } from '../../src/options.js';
import type { Output } from '../../src/output/output.js';
import { Sse3Error } from '../../src/errors.js';

/** A 32-character text secret as `openssl rand -base64 24` makes one, holding base64's '+' or '/' (and a digit). */
function base64TextSecret(): string {
  for (;;) {
    const s = randomBytes(24).toString('base64');
    if (/[+/]/.test(s) && /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s)) return s;
  }
}

test('key material is recognised in every form sse3 documents, whole or inside a reference', () => {
  for (let i = 0; i < 50; i++) {
    const raw = randomBytes(32);
    const text = base64TextSecret();
    for (const t of [raw.toString('base64'), raw.toString('base64').replace(/=$/, ''), raw.toString('base64url'), raw.toString('hex'),
      raw.toString('hex').toUpperCase(), text, `file:${text}`, `keychain:${text}`, `file:~/keys/${raw.toString('base64url')}`,
      `--from=${raw.toString('base64')}`]) {
      assert.ok(looksLikeKey(t), t);
    }
  }
  assert.ok(looksLikeKey('32bytesOfTotallyRandomCharacters'), 'the README\'s example text secret');
  assert.ok(looksLikeKey('QmaBaBaBaBaBaBaBaBaBaBaBaBaBaBaB'), 'random letters of both cases');
});

test('names that are not keys are not taken for keys', () => {
  for (const t of ['file:~/.config/sse3/keys/production-backups-2026.key', 'keychain:production-backups-2026-key-main',
    'env:SSE3_BACKUP_KEY_FOR_THE_NIGHTLY_JOB_2026', 'file:/srv/keys/a2b.key', 'list', 'lsit', 'production-backups-2026-eu-west',
    'SSE3_BACKUP_KEY_FOR_THE_NIGHTLY', 'abcdefghijklmnopqrstuvwxyzabcdef', '/tmp/sse3-unit-abc/missing-02.key', '']) {
    assert.equal(looksLikeKey(t), false, t);
  }
});

test('a text secret holding + or / (openssl rand -base64 24) given as a key reference is refused without being quoted', () => {
  for (let i = 0; i < 20; i++) {
    const secret = base64TextSecret();
    for (const ref of [secret, `keychain:${secret}`, `file:${secret}`]) {
      assert.throws(() => parseKeyRef(ref), (e: Sse3Error) => e.code === 'USAGE' && /looks like a key itself/.test(e.message) &&
        !`${e.message} ${e.hint}`.includes(secret), ref);
    }
  }
});

/** Nothing is written before these checks fail: an Output is never touched. */
const noOutput = { out: {} as Output, excessArgs: [] } as unknown as CommandRun;

test('keys import --from: a key written as unpadded base64 or base64url is refused as a key, never quoted back', async () => {
  const raw = randomBytes(32);
  for (const from of [raw.toString('base64url'), raw.toString('base64').replace(/=$/, ''), `./${raw.toString('base64')}`]) {
    await assert.rejects(keysImport('file:/nonexistent-sse3-dir/new.key', { from }, noOutput),
      (e: Sse3Error) => e.code === 'USAGE' && /looks like a key itself/.test(e.message) && !`${e.message} ${e.hint}`.includes(from.slice(2, 30)),
      from);
  }
});

test('keys import --from: a file name of 32 characters that names no file is "no such file", not "a key"', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.ok(dir.length <= 26, dir);
  const from = join(dir, `m${'0'.repeat(32 - dir.length - 6)}.key`);
  assert.equal(from.length, 32);
  await assert.rejects(keysImport(`file:${join(dir, 'new.key')}`, { from }, noOutput),
    (e: Sse3Error) => e.code === 'LOCAL_IO' && e.message === `cannot read ${from}: no such file`);
});
