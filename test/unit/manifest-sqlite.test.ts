import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDamage } from '../../src/manifest/backup.js';
import { SQLITE_CORRUPT, SQLITE_NOTADB, SqliteDb, sqliteError, sqliteResultCode, withoutSqliteWarning } from '../../src/manifest/sqlite.js';

function table(): SqliteDb {
  const db = new SqliteDb(':memory:');
  db.exec('CREATE TABLE t (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  return db;
}

test('SqliteDb answers in the shape asked for, and a statement prepared once still sees later writes', () => {
  const db = table();
  assert.deepEqual(db.run('INSERT INTO t VALUES (?, ?)', 'a', 1), { changes: 1, lastInsertRowid: 1 });
  db.run('INSERT INTO t VALUES (?, ?)', 'b', 2);
  assert.deepEqual(db.get('SELECT name, n FROM t WHERE name = ?', 'a'), { name: 'a', n: 1 });
  assert.equal(db.get('SELECT name FROM t WHERE name = ?', 'zz'), undefined);
  assert.deepEqual(db.all('SELECT name, n FROM t ORDER BY name'), [{ name: 'a', n: 1 }, { name: 'b', n: 2 }]);
  assert.equal(db.value('SELECT n FROM t WHERE name = ?', 'b'), 2);
  assert.equal(db.value('SELECT n FROM t WHERE name = ?', 'zz'), undefined);
  assert.deepEqual(db.values('SELECT name FROM t ORDER BY name'), ['a', 'b']);
  // The same SQL as rows and as a column: two statements, each answering in its own shape.
  assert.deepEqual(db.get('SELECT n FROM t WHERE name = ?', 'b'), { n: 2 });
  db.run('UPDATE t SET n = ? WHERE name = ?', 20, 'b');
  assert.equal(db.value('SELECT n FROM t WHERE name = ?', 'b'), 20);
  assert.equal(db.run('DELETE FROM t WHERE name = ?', 'zz').changes, 0);
  db.close();
  assert.equal(db.isOpen, false);
});

test('exactRows keeps every integer exact (BigInt), beyond JavaScript\'s safe range too', () => {
  const db = table();
  db.run('INSERT INTO t VALUES (?, ?)', 'big', 2n ** 53n + 1n);
  db.run('INSERT INTO t VALUES (?, ?)', 'small', 7);
  assert.deepEqual(db.exactRows('SELECT name, n FROM t ORDER BY name'), [{ name: 'big', n: 2n ** 53n + 1n }, { name: 'small', n: 7n }]);
  db.close();
});

test('immediate: all or nothing; inside another transaction a savepoint, so a caught failure undoes only its own part', () => {
  const db = table();
  assert.equal(db.inTransaction, false);
  assert.throws(() => db.immediate(() => {
    db.run('INSERT INTO t VALUES (?, ?)', 'lost', 1);
    throw new Error('stop');
  }), /stop/);
  assert.equal(db.value('SELECT count(*) FROM t'), 0);

  const inside = db.immediate(() => {
    db.run('INSERT INTO t VALUES (?, ?)', 'kept', 1);
    assert.throws(() => db.immediate(() => {
      db.run('INSERT INTO t VALUES (?, ?)', 'undone', 2);
      throw new Error('inner');
    }));
    return db.inTransaction;
  });
  assert.equal(inside, true);
  assert.deepEqual(db.values('SELECT name FROM t'), ['kept']);

  const add = db.immediateFunction((name: string, n: number) => { db.run('INSERT INTO t VALUES (?, ?)', name, n); });
  add('x', 1);
  add('y', 2);
  assert.throws(() => add('x', 3), /UNIQUE/);
  assert.deepEqual(db.values('SELECT name FROM t ORDER BY name'), ['kept', 'x', 'y']);
  db.close();
});

test('a backup is a consistent copy; a database opened read-only refuses writes; a missing file need not be made', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'db.sqlite');
  const db = new SqliteDb(file);
  db.exec('CREATE TABLE t (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  db.run('INSERT INTO t VALUES (?, ?)', 'a', 1);
  db.copyTo(join(dir, 'copy.sqlite'));
  db.close();
  const copy = new SqliteDb(join(dir, 'copy.sqlite'), { readonly: true });
  assert.deepEqual(copy.values('SELECT name FROM t'), ['a']);
  assert.throws(() => copy.run('INSERT INTO t VALUES (?, ?)', 'b', 2), /readonly/);
  copy.close();
  assert.throws(() => new SqliteDb(join(dir, 'absent.sqlite'), { readonly: true, fileMustExist: true }));
});

test('opening SQLite drops Node 22\'s ExperimentalWarning about SQLite, and no other warning', async () => {
  const seen: string[] = [];
  const listen = (w: Error) => { seen.push(`${w.name}: ${w.message}`); };
  process.on('warning', listen);
  const emitWarning = process.emitWarning;
  try {
    const answer = withoutSqliteWarning(() => {
      // What Node 22 emits as node:sqlite loads, then warnings that must still be seen.
      process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
      process.emitWarning('SQLite is an experimental feature and might change at any time', { type: 'ExperimentalWarning' });
      process.emitWarning('Some other feature is an experimental feature', 'ExperimentalWarning');
      process.emitWarning('SQLite is an experimental feature and might change at any time', 'DeprecationWarning');
      process.emitWarning(new Error('a warning of its own'));
      return 42;
    });
    assert.equal(answer, 42);
    assert.equal(process.emitWarning, emitWarning, 'process.emitWarning is Node\'s own again');
    process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
    // Warnings are delivered on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listen);
  }
  assert.deepEqual(seen, [
    'ExperimentalWarning: Some other feature is an experimental feature',
    'DeprecationWarning: SQLite is an experimental feature and might change at any time',
    'Error: a warning of its own',
    'ExperimentalWarning: SQLite is an experimental feature and might change at any time',
  ]);
});

test('a file that is not a database, and one SQLite\'s check finds damaged, are told apart from other failures', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
  const notADb = catchError(() => new SqliteDb(garbage).pragmaValue('quick_check'));
  assert.equal(sqliteResultCode(notADb), SQLITE_NOTADB);
  assert.equal(isDamage(notADb), true);
  assert.equal(isDamage(sqliteError('quick_check: page 3 is never used', SQLITE_CORRUPT)), true);
  const missingTable = catchError(() => table().get('SELECT * FROM absent'));
  assert.equal(sqliteResultCode(missingTable), 1);
  assert.equal(isDamage(missingTable), false);
  assert.equal(isDamage(new Error('no code')), false);
});

function catchError(work: () => unknown): unknown {
  try {
    work();
  } catch (e) {
    return e;
  }
  assert.fail('no error');
}
