import type { EndpointAlias } from './entry.js';
import type { SqliteDb } from './sqlite.js';

// Endpoint aliases: several names of one server. The manifest keeps one surviving name per server and rewrites the
// rows of the others to it, so every query stays a plain equality on the endpoint.

/** What merging one endpoint name into another did. */
export interface EndpointMerge {
  /** Object versions now recorded under the surviving name. */
  moved: number;
  /** Rows recorded under both names for the same object version: the older one was dropped. */
  replaced: number;
}

/** Move every row of endpoint `from` to `to`; where both record the same object version, the later record wins. */
export function mergeEndpoint(db: SqliteDb, from: string, to: string): EndpointMerge {
  // A row of the first endpoint whose twin (same object version) under the second one was recorded later.
  const dropOlderTwin = `DELETE FROM objects WHERE endpoint = ? AND EXISTS (SELECT 1 FROM objects t
    WHERE t.endpoint = ? AND t.bucket = objects.bucket AND t.key = objects.key AND t.version_id = objects.version_id
    AND t.seq > objects.seq)`;
  const replaced = db.run(dropOlderTwin, from, to).changes + db.run(dropOlderTwin, to, from).changes;
  const moved = db.run('UPDATE objects SET endpoint = ? WHERE endpoint = ?', to, from).changes;
  db.run('UPDATE OR REPLACE uploads SET endpoint = ? WHERE endpoint = ?', to, from);
  db.run('UPDATE rotations SET endpoint = ? WHERE endpoint = ?', to, from);
  db.run('UPDATE endpoint_aliases SET endpoint = ? WHERE endpoint = ?', to, from);
  // A default key set for a scope under both names: the surviving name's stays.
  db.run('UPDATE OR IGNORE key_defaults SET endpoint = ? WHERE endpoint = ?', to, from);
  db.run('DELETE FROM key_defaults WHERE endpoint = ?', from);
  db.run('DELETE FROM endpoint_aliases WHERE alias = ?', to);
  return { moved, replaced };
}

/** The name the manifest records a server under: the endpoint itself unless it was declared an alias. */
export function resolveEndpoint(db: SqliteDb, endpoint: string): string {
  return db.value<string>('SELECT endpoint FROM endpoint_aliases WHERE alias = ?', endpoint) ?? endpoint;
}

/**
 * Declare `alias` another name of the server `endpoint` (both manifest identities), in one transaction: its rows
 * move to the surviving name (an alias of an alias ends there too), and later runs through the alias record and look
 * up under that name (resolveEndpoint).
 */
export function addAlias(db: SqliteDb, alias: string, endpoint: string): EndpointMerge & { endpoint: string } {
  return db.immediate(() => {
    const target = resolveEndpoint(db, endpoint);
    if (resolveEndpoint(db, alias) === target) return { endpoint: target, moved: 0, replaced: 0 };
    const merged = mergeEndpoint(db, alias, target);
    db.run('INSERT OR REPLACE INTO endpoint_aliases (alias, endpoint) VALUES (?, ?)', alias, target);
    return { endpoint: target, ...merged };
  });
}

export function listAliases(db: SqliteDb): EndpointAlias[] {
  return db.all<EndpointAlias>('SELECT alias, endpoint FROM endpoint_aliases ORDER BY endpoint, alias');
}
