import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sse3Error } from '../errors.js';
import { checkRecords, type ImportedRecords, type ImportFault } from './document.js';
import { addedLater, entryColumns, OBJECT_COLUMNS } from './schema.js';
import { SqliteDb } from './sqlite.js';

// A manifest backup (a .db file) read for `sse3 manifest import`: row by row, through the same checks as an export.
// The file may come from anywhere, so it is never attached to the manifest or copied into it wholesale, nothing in
// it is executed (its views, triggers and the functions of its schema), and only named columns of real tables are read.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** The columns an export's object record is read from, and seq, which orders an object's versions. */
const READ_COLUMNS = [...Object.values(OBJECT_COLUMNS), 'seq'];

const backupFault = (source: string): ImportFault => (what) => new Sse3Error('USAGE',
  `${source} is not a sound sse3 manifest backup: ${what}`, 'import another backup, or what sse3 manifest export wrote');

/** The records of a backup whose bytes were read from `source`; its open rotations and uploads are only counted. */
export function readBackupRecords(bytes: Buffer, source: string): ImportedRecords {
  const fault = backupFault(source);
  // A private copy of the bytes already read: the file itself is left as it is, and cannot change under the reading.
  const dir = mkdtempSync(join(tmpdir(), 'sse3-import-'));
  let db: SqliteDb | undefined;
  try {
    const file = join(dir, 'backup.db');
    writeFileSync(file, bytes, { mode: 0o600 });
    try {
      db = new SqliteDb(file);
      // Nothing in the file may run or write: no schema-defined function with side effects, no write of any kind.
      db.pragma('trusted_schema = OFF');
      db.pragma('query_only = ON');
      if (db.pragmaValue('quick_check') !== 'ok') throw fault('SQLite finds it damaged');
      return readRecords(db, fault);
    } catch (e) {
      if (e instanceof Sse3Error) throw e;
      // SQLite's message may quote the file's schema: said without its control characters.
      throw fault(String((e as Error).message).replace(CONTROL, '?'));
    }
  } finally {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function readRecords(db: SqliteDb, fault: ImportFault): ImportedRecords {
  const schemaOf = (name: string) => db.get<{ type: string; sql: unknown }>('SELECT type, sql FROM sqlite_schema WHERE name = ? COLLATE NOCASE', name);
  // A plain table, as sse3 makes them: not a view, nor a virtual table whose module would answer the reads.
  const table = (name: string, required: boolean): boolean => {
    const schema = schemaOf(name);
    if (schema === undefined) {
      if (required) throw fault(`it has no table ${name}`);
      return false;
    }
    if (schema.type !== 'table' || !/^CREATE TABLE /i.test(String(schema.sql))) throw fault(`${name} is not a table`);
    return true;
  };
  table('objects', true);
  const columns = new Set(db.values<string>('SELECT name FROM pragma_table_info(?)', 'objects'));
  const missing = READ_COLUMNS.find((c) => !columns.has(c) && !addedLater('objects', c));
  if (missing) throw fault(`objects has no column ${missing}`);
  // Newest first per object, as an export lists them; a column added later is absent from manifests older than it.
  const objects = rows(db, `SELECT ${entryColumns((c) => (columns.has(c) ? c : 'NULL'))} FROM objects
    ORDER BY endpoint, bucket, key, seq DESC`);
  const aliases = table('endpoint_aliases', false) ? rows(db, 'SELECT alias, endpoint FROM endpoint_aliases ORDER BY endpoint, alias') : [];
  const count = (name: string, sql: string): number => (table(name, false) ? Number(db.value(sql)) : 0);
  return checkRecords(fault, { objects, aliases }, {
    rotations: count('rotations', "SELECT count(*) FROM rotations WHERE state = 'pending'"),
    uploads: count('uploads', 'SELECT count(*) FROM uploads'),
  });
}

/**
 * Rows as SQLite stores them, whatever the column's declared type: an integer beyond JavaScript's safe range stays a
 * BigInt (and fails the check of a size), text in a number's column stays text, a blob stays a Buffer.
 */
function rows(db: SqliteDb, sql: string): Array<Record<string, unknown>> {
  return db.exactRows(sql).map((row) => Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' && v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER
      ? Number(v) : v])));
}
