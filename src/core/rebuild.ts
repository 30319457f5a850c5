import { newEntry } from '../manifest/entry.js';
import type { ListedObject } from '../s3/list.js';
import { statusOf } from '../s3/errors.js';
import type { Io } from './context.js';
import { listScopeVersions, type Scope } from './scope.js';
import { readTags, TAG_FINGERPRINT, TAG_SHA256 } from './ssec.js';

/**
 * Each object's versions oldest first. Listings give them newest first, but the manifest takes the version recorded
 * last as the current one, which get and head use when no --version-id is given.
 */
async function* oldestFirst(listing: AsyncIterable<ListedObject>): AsyncGenerator<ListedObject> {
  let versions: ListedObject[] = [];
  for await (const v of listing) {
    if (versions.length && versions[0].key !== v.key) {
      yield* versions.reverse();
      versions = [];
    }
    versions.push(v);
  }
  yield* versions.reverse();
}

export type TagRecordOutcome = 'recorded' | 'untagged' | 'denied';

/** Record one listed object version from its sse3-fp (and sse3-sha256) tags, which are readable without the key. */
export async function recordFromTags(io: Io, bucket: string, v: ListedObject): Promise<TagRecordOutcome> {
  let tags;
  try {
    tags = await readTags(io, { bucket, key: v.key, versionId: v.versionId });
  } catch (e) {
    if (statusOf(e) === 403) return 'denied';
    throw e;
  }
  const fingerprint = tags[TAG_FINGERPRINT];
  if (!fingerprint) return 'untagged';
  io.manifest.record(newEntry({ endpoint: io.conn.endpoint, bucket, key: v.key }, { versionId: v.versionId, fingerprint,
    size: v.size, sha256: tags[TAG_SHA256], etag: v.etag, createdAt: (v.lastModified ?? new Date()).toISOString() }));
  return 'recorded';
}

export interface RebuildCounts {
  recorded: number;
  untagged: number;
  denied: number;
}

/** manifest rebuild: every version in scope, recorded from its tags, oldest first so "latest" comes out right. */
export async function rebuildFromTags(io: Io, scope: Scope): Promise<RebuildCounts> {
  const counts: RebuildCounts = { recorded: 0, untagged: 0, denied: 0 };
  for await (const v of oldestFirst(listScopeVersions(io, scope))) counts[await recordFromTags(io, scope.bucket, v)]++;
  return counts;
}
