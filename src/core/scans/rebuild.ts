import { type ManifestEntry, newEntry } from '../../manifest/entry.js';
import type { ListedObject } from '../../s3/list.js';
import { Sse3Error } from '../../errors.js';
import type { Io } from '../context.js';
import { listScopeVersions, type Scope } from '../session/scope.js';
import { keepingKnown } from '../recorded.js';
import { readSse3Tags } from '../tags.js';
import { byObject, isVersionUnreadable } from './tag-scan.js';
import { boundScanMemory } from '../runtime/memory.js';

/**
 * Each object's versions oldest first. Listings give them newest first, but the manifest takes the version recorded
 * last as the current one, which get and head use when no --version-id is given.
 */
async function* oldestFirst(listing: AsyncIterable<ListedObject>): AsyncGenerator<ListedObject> {
  for await (const versions of byObject(listing)) yield* versions.reverse();
}

export type TagRecordOutcome = 'recorded' | 'untagged' | 'denied';

/**
 * Record one listed object version from its sse3-fp (and sse3-sha256) tags, which are readable without the key, with
 * the time the listing shows, keeping what this home knew of the same content (keepingKnown). Tags that cannot be read
 * (access denied, a server error) make it 'denied' — never taken for "not written by sse3"; a server that does not
 * answer stops the rebuild (the error is thrown).
 */
export async function recordFromTags(io: Io, bucket: string, v: ListedObject, onDenied?: (e: Sse3Error) => void,
  onRecorded?: (change: RecordChange) => void): Promise<TagRecordOutcome> {
  let tags;
  try {
    tags = await readSse3Tags(io, { bucket, key: v.key, versionId: v.versionId }, { what: 'key fingerprint', op: 'tagging' });
  } catch (e) {
    if (!isVersionUnreadable(e)) throw e;
    onDenied?.(e);
    return 'denied';
  }
  if (!tags.fingerprint) return 'untagged';
  const location = { endpoint: io.conn.endpoint, bucket, key: v.key };
  const entry = newEntry(location, { versionId: v.versionId, fingerprint: tags.fingerprint, size: v.size, sha256: tags.sha256,
    etag: v.etag, createdAt: (v.lastModified ?? new Date()).toISOString(), lastModified: v.lastModified?.toISOString() });
  const known = io.manifest.lookup(location, v.versionId);
  const recorded = keepingKnown(entry, known);
  io.manifest.record(recorded);
  onRecorded?.(!known ? 'added' : sameRecord(known, recorded) ? 'unchanged' : 'updated');
  return 'recorded';
}

/** What recording a version from its tags changed in the manifest: a new row, a row that said something else, nothing. */
export type RecordChange = 'added' | 'updated' | 'unchanged';

/** Two records of one version say the same: the same key, content and file time (when and in what order aside). */
const sameRecord = (a: ManifestEntry, b: ManifestEntry): boolean => a.fingerprint === b.fingerprint && a.size === b.size &&
  a.sha256 === b.sha256 && a.etag === b.etag && a.mtimeMs === b.mtimeMs;

export interface RebuildCounts {
  /** Versions recorded from their tags: added, updated and unchanged together. */
  recorded: number;
  added: number;
  updated: number;
  unchanged: number;
  untagged: number;
  denied: number;
  /** Why the first version counted as denied could not be read. */
  firstDenial?: Sse3Error;
}

/**
 * manifest rebuild: every version in scope, recorded from its tags, oldest first so "latest" comes out right, keeping
 * what this home knew of the same content (recordFromTags); counted by what each changed in the manifest.
 */
export async function rebuildFromTags(io: Io, scope: Scope): Promise<RebuildCounts> {
  const counts: RebuildCounts = { recorded: 0, added: 0, updated: 0, unchanged: 0, untagged: 0, denied: 0 };
  const onDenied = (e: Sse3Error) => { counts.firstDenial ??= e; };
  const onRecorded = (change: RecordChange) => { counts[change]++; };
  const young = boundScanMemory();
  try {
    for await (const v of oldestFirst(listScopeVersions(io, scope))) {
      young.check();
      counts[await recordFromTags(io, scope.bucket, v, onDenied, onRecorded)]++;
    }
  } finally {
    young.end();
  }
  return counts;
}
