import { prefixSuccessor } from './entry.js';
import { SqliteDb } from './sqlite.js';

// Shell completion's questions to the manifest: read-only, one index seek per answer however many objects are
// recorded, and never an error (a manifest that cannot be read completes nothing).

/**
 * s3:// paths, one level at a time: buckets, then "folders" and objects under a prefix, walked on the (bucket, key)
 * index.
 */
export function completeObjectPaths(file: string, word: string, limit = 200): string[] {
  return withReadonly(file, (db) => {
    const rest = word.startsWith('s3://') ? word.slice(5) : '';
    const slash = rest.indexOf('/');
    return slash === -1 ? buckets(db, rest, limit) : objectPaths(db, rest.slice(0, slash), rest.slice(slash + 1), limit);
  });
}

function buckets(db: SqliteDb, start: string, limit: number): string[] {
  const out: string[] = [];
  let b = db.value<string>('SELECT bucket FROM objects WHERE bucket >= ? ORDER BY bucket LIMIT 1', start);
  while (b !== undefined && b.startsWith(start) && out.length < limit) {
    out.push(`s3://${b}/`);
    b = db.value<string>('SELECT bucket FROM objects WHERE bucket > ? ORDER BY bucket LIMIT 1', b);
  }
  return out;
}

/** Objects right under the prefix, and each folder under it once (the walk jumps past a folder's keys). */
function objectPaths(db: SqliteDb, bucket: string, prefix: string, limit: number): string[] {
  const first = (from: string) => db.value<string>('SELECT key FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT 1', bucket, from);
  const out: string[] = [];
  let key = first(prefix);
  while (key !== undefined && key.startsWith(prefix) && out.length < limit) {
    const sub = key.indexOf('/', prefix.length);
    if (sub === -1) {
      out.push(`s3://${bucket}/${key}`);
      key = db.value<string>('SELECT key FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT 1', bucket, key);
    } else {
      const folder = key.slice(0, sub + 1);
      out.push(`s3://${bucket}/${folder}`);
      const end = prefixSuccessor(folder);
      key = end === undefined ? undefined : first(end);
    }
  }
  return out;
}

/** Fingerprints recorded in the manifest that start with `word`, one index seek each. */
export function completeFingerprints(file: string, word: string, limit = 200): string[] {
  return withReadonly(file, (db) => {
    const out: string[] = [];
    let fp = db.value<string>('SELECT fingerprint FROM objects WHERE fingerprint >= ? ORDER BY fingerprint LIMIT 1', word);
    while (fp !== undefined && fp.startsWith(word) && out.length < limit) {
      out.push(fp);
      fp = db.value<string>('SELECT fingerprint FROM objects WHERE fingerprint > ? ORDER BY fingerprint LIMIT 1', fp);
    }
    return out;
  });
}

/** Completion reads the manifest read-only and answers nothing (never an error) when it cannot. */
function withReadonly(file: string, answer: (db: SqliteDb) => string[]): string[] {
  let db: SqliteDb;
  try {
    db = new SqliteDb(file, { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    db.pragma('busy_timeout = 1000');
    return answer(db);
  } catch {
    return [];
  } finally {
    db.close();
  }
}
