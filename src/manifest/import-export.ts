import { addAlias, listAliases, resolveEndpoint } from './aliases.js';
import type { ImportedRecords, ManifestDocument } from './document.js';
import type { EndpointAlias, ManifestEntry } from './entry.js';
import { openRotations, pendingUploads } from './journals.js';
import { hasVersion, insertObject, nextSeq, oldestSeq } from './objects.js';
import type { SqliteDb } from './sqlite.js';

// The manifest as a whole, out and in: what `manifest export` writes, and adding the checked records of an export or a
// backup (document.ts and backup-records.ts check them; nothing here trusts a file).

/** What `manifest import` added. */
export interface ImportCounts {
  added: number;
  alreadyRecorded: number;
  aliases: number;
}

/** Everything, for `manifest export`: the given object versions, open rotations and uploads, endpoint aliases. */
export function exportDocument(db: SqliteDb, objects: ManifestEntry[]): ManifestDocument {
  // An upload's token stays here: it is what proves an object this manifest's upload wrote.
  const uploads = pendingUploads(db).map(({ token: _token, ...u }) => u);
  return { objects, pendingRotations: openRotations(db), pendingUploads: uploads, aliases: listAliases(db) };
}

/**
 * Add checked records in one transaction. The manifest's own records win: a version it already has is left as it is,
 * and versions of an object it also knows are added as older than those it has (its latest stays its latest). Within
 * the file, the first record of a version (its newest) is taken. Open rotations and uploads are never imported: see
 * ImportedRecords.
 */
export function importRecords(db: SqliteDb, records: Omit<ImportedRecords, 'notImported'>): ImportCounts {
  return db.immediate(() => {
    const counts: ImportCounts = { added: 0, alreadyRecorded: 0, aliases: importAliases(db, records.aliases) };
    for (const versions of byObject(db, records.objects)) importObject(db, versions, counts);
    return counts;
  });
}

/** The aliases that name a server another way than the manifest does; returns how many. */
function importAliases(db: SqliteDb, aliases: EndpointAlias[]): number {
  let added = 0;
  for (const a of aliases) {
    const target = resolveEndpoint(db, a.endpoint);
    if (resolveEndpoint(db, a.alias) !== target) { addAlias(db, a.alias, target); added++; }
  }
  return added;
}

/** Per object (endpoint in the manifest's name), its versions in the file's order (newest first), each version once. */
function byObject(db: SqliteDb, objects: ManifestEntry[]): Iterable<ManifestEntry[]> {
  const groups = new Map<string, Map<string, ManifestEntry>>();
  for (const e of objects) {
    const entry = { ...e, endpoint: resolveEndpoint(db, e.endpoint) };
    const id = JSON.stringify([entry.endpoint, entry.bucket, entry.key]);
    const versions = groups.get(id) ?? new Map<string, ManifestEntry>();
    if (!versions.has(entry.versionId)) versions.set(entry.versionId, entry);
    groups.set(id, versions);
  }
  return [...groups.values()].map((versions) => [...versions.values()]);
}

/** One object's versions, newest first: those the manifest lacks, below the ones it has. */
function importObject(db: SqliteDb, versions: ManifestEntry[], counts: ImportCounts): void {
  let below = oldestSeq(db, versions[0]);
  const fresh = versions.filter((v) => {
    const known = hasVersion(db, v, v.versionId);
    if (known) counts.alreadyRecorded++;
    return !known;
  });
  // Unknown object: oldest first with new sequence numbers. Known object: below its oldest record.
  const ordered = below === null ? [...fresh].reverse() : fresh;
  for (const v of ordered) {
    insertObject(db, v, below === null ? nextSeq(db) : --below);
    counts.added++;
  }
}
