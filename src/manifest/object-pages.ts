import { type ManifestEntry, prefixSuccessor } from './entry.js';
import { ENTRY_COLUMNS } from './schema.js';
import type { SqlValue, SqliteDb } from './sqlite.js';

// Walks over many recorded objects, a page at a time: a verify, rotation, listing or sync over a million records
// holds one page, every page is one index seek, and the connection stays free between pages.

/** Scope of a listing: an endpoint, optionally one bucket and a key prefix. */
export interface ManifestScope {
  endpoint?: string;
  bucket?: string;
  prefix?: string;
}

/** Which entries a listing takes: only each object's latest record, only those under one key. */
export interface ListOptions {
  latestOnly?: boolean;
  fingerprint?: string;
}

type PagedRow = ManifestEntry & { seq: number };

const sameObject = (a: PagedRow, b: PagedRow) => a.key === b.key && a.bucket === b.bucket && a.endpoint === b.endpoint;

/** The statements of one walk: its first page, the pages after a cursor, and the rest of one object's versions. */
interface PageQueries {
  args: SqlValue[];
  first: string;
  next: string;
  rest: string;
  /** The key columns the cursor moves over (those the scope does not fix). */
  moving: ReadonlyArray<'endpoint' | 'bucket' | 'key'>;
}

function pageQueries(scope: ManifestScope, opts: ListOptions): PageQueries {
  // The primary key (endpoint, bucket, key, version) is walked in order: its leading columns fixed by the scope are
  // equalities, the page cursor a range over the others, so every page is one seek. Other filters carry a unary +
  // so that SQLite does not pick another index and sort each page's candidates instead.
  const where: string[] = [];
  const args: SqlValue[] = [];
  let fixed = 0;
  if (scope.endpoint !== undefined) {
    where.push('endpoint = ?');
    args.push(scope.endpoint);
    fixed = 1;
  }
  if (scope.bucket !== undefined) {
    where.push(fixed ? 'bucket = ?' : '+bucket = ?');
    args.push(scope.bucket);
    if (fixed) fixed = 2;
  }
  if (scope.prefix) {
    const k = fixed === 2 ? 'key' : '+key';
    where.push(`${k} >= ?`);
    args.push(scope.prefix);
    const end = prefixSuccessor(scope.prefix);
    if (end !== undefined) { where.push(`${k} < ?`); args.push(end); }
  }
  if (opts.fingerprint !== undefined) { where.push('+fingerprint = ?'); args.push(opts.fingerprint); }
  if (opts.latestOnly) {
    where.push(`seq = (SELECT max(seq) FROM objects l WHERE l.endpoint = objects.endpoint AND l.bucket = objects.bucket
      AND l.key = objects.key)`);
  }
  const cond = where.join(' AND ') || '1';
  const moving = (['endpoint', 'bucket', 'key'] as const).slice(fixed);
  const cursor = moving.length === 1 ? `${moving[0]} > ?` : `(${moving.join(', ')}) > (${moving.map(() => '?').join(', ')})`;
  const select = `SELECT ${ENTRY_COLUMNS}, seq FROM objects WHERE ${cond}`;
  return { args, moving, first: `${select} ORDER BY endpoint, bucket, key LIMIT ?`,
    next: `${select} AND ${cursor} ORDER BY endpoint, bucket, key LIMIT ?`, rest: `${select} AND endpoint = ? AND bucket = ? AND key = ?` };
}

/** Rows of whole objects in the primary key's order, each object's versions newest first. */
function* newestFirstPerObject(rows: PagedRow[]): Generator<ManifestEntry> {
  for (let i = 0; i < rows.length;) {
    let j = i + 1;
    while (j < rows.length && sameObject(rows[j], rows[i])) j++;
    for (const { seq: _seq, ...entry } of rows.slice(i, j).sort((a, b) => b.seq - a.seq)) yield entry;
    i = j;
  }
}

/**
 * Entries in scope (every version), ordered by object then newest first, read a page at a time (keyset paging on
 * the object, each page completed with the rest of its last object's versions). `beforePage` runs before each read.
 */
export function* pagedEntries(db: SqliteDb, scope: ManifestScope, opts: ListOptions, pageSize: number, beforePage: () => void)
  : Generator<ManifestEntry> {
  const q = pageQueries(scope, opts);
  let after: SqlValue[] | undefined;
  for (;;) {
    beforePage();
    const rows = after ? db.all<PagedRow>(q.next, ...q.args, ...after, pageSize) : db.all<PagedRow>(q.first, ...q.args, pageSize);
    if (!rows.length) return;
    const last = rows[rows.length - 1];
    const full = rows.length >= pageSize;
    if (full) {
      while (rows.length && sameObject(rows[rows.length - 1], last)) rows.pop();
      rows.push(...db.all<PagedRow>(q.rest, ...q.args, last.endpoint, last.bucket, last.key));
    }
    yield* newestFirstPerObject(rows);
    if (!full) return;
    after = q.moving.map((c) => last[c]);
  }
}

/**
 * A page of the latest recorded version of each object under a prefix, in key order (SQLite compares TEXT as UTF-8
 * bytes, S3's order): keys after `after` (or from the prefix on), at most `limit` objects. Paging lets a sync walk
 * a million records beside the listing without holding them, and without one query per object.
 */
export function latestPage(db: SqliteDb, scope: { endpoint: string; bucket: string; prefix: string }, after: string | undefined,
  limit: number): ManifestEntry[] {
  const end = prefixSuccessor(scope.prefix);
  const rows = db.all<ManifestEntry>(`SELECT ${ENTRY_COLUMNS} FROM objects WHERE endpoint = ? AND bucket = ?
    AND key ${after === undefined ? '>=' : '>'} ? ${end === undefined ? '' : 'AND key < ?'} ORDER BY key, seq DESC LIMIT ?`,
  scope.endpoint, scope.bucket, after ?? scope.prefix, ...(end === undefined ? [] : [end]), limit);
  const latest: ManifestEntry[] = [];
  for (const r of rows) if (latest.at(-1)?.key !== r.key) latest.push(r);
  // The last key's older versions may not all be on this page; the next page starts after that key anyway.
  return latest;
}
