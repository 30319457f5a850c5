import { Sse3Error } from '../../errors.js';
import type { ListedObject } from '../../s3/list.js';
import { formatS3Url } from '../../s3/url.js';
import { runBatch } from '../runtime/batch.js';
import type { Io } from '../context.js';
import { recordFromTags } from './rebuild.js';
import { byObject } from './tag-scan.js';
import { inScope, listScopeVersions, type Scope } from '../session/scope.js';
import type { ListedVersions, PullState } from '../../manifest/store.js';
import { sameVersion } from '../recorded.js';
import { boundScanMemory } from '../runtime/memory.js';

/**
 * manifest pull: an incremental rebuild for a shared bucket. Every version is listed (one request per 1,000), but
 * tags are read only for versions the manifest does not know: not recorded here as the listed version (sameVersion —
 * also a record of this home's own upload, which pull never saw), and not seen untagged by the last pull (table
 * pulled_versions). So a bucket where ten objects changed costs ~ten tag reads, and the records of versions that did
 * not change keep what only this home knows (file times, checksums). Rows of versions no longer on the server are
 * removed.
 */
export interface PullCounts {
  listed: number;
  unchanged: number;
  /** Versions whose tags were read (new or changed). */
  read: number;
  recorded: number;
  untagged: number;
  denied: number;
  /** Rows of versions that are no longer on the server, removed. */
  removed: Array<{ url: string; versionId: string }>;
  firstDenial?: Sse3Error;
}

/** What tells a version changed: its ETag and its last-modified time (re-encrypting in place may keep the ETag). */
const stampOf = (v: ListedObject) => `${v.etag} ${v.lastModified?.toISOString() ?? ''}`;

/**
 * A listed version pull need not read: recorded here as this very version, or seen by the last pull with the same
 * stamp (and the same tagged-or-not). A record that holds only a bound of the version's time keeps the listed one.
 * `known` is what the manifest knows of the version's object (pullState).
 */
function knownVersion(io: Io, scope: Scope, v: ListedObject, known: PullState): boolean {
  const before = known.pulled.get(v.versionId);
  const row = known.recorded.get(v.versionId);
  const pin = (lastModified: string | undefined) => {
    if (row && lastModified) io.manifest.pinListed({ ...row, endpoint: io.conn.endpoint, bucket: scope.bucket }, lastModified);
  };
  const recorded = row && sameVersion(row, v);
  if (recorded?.same) {
    pin(recorded.pin);
    return true;
  }
  if (!before || before.stamp !== stampOf(v) || before.tagged !== Boolean(row)) return false;
  // A record older than the times sse3 keeps, of the version the last pull read: the listing confirms it now.
  if (recorded?.why === 'unconfirmed') pin(v.lastModified?.toISOString());
  return true;
}

export async function pullFromTags(io: Io, scope: Scope, opts: { jobs: number }): Promise<PullCounts> {
  const young = boundScanMemory();
  try {
    return await pullScope(io, scope, opts, young.check);
  } finally {
    young.end();
  }
}

async function pullScope(io: Io, scope: Scope, opts: { jobs: number }, onItem: () => void): Promise<PullCounts> {
  const endpoint = io.conn.endpoint;
  const listed = io.manifest.listedVersions({ endpoint, bucket: scope.bucket, prefix: scope.prefix });
  try {
    const counts = await readChanged(io, scope, opts, listed, onItem);
    // The whole scope was listed: what was recorded before and is not there any more is gone from the server. Of one
    // object (an object scope), only its own versions, never those of the keys that start with its name; of a shard,
    // only its keys (the others were not listed).
    const gone = listed.gone();
    for (const { key, versionId } of gone.recorded) {
      if (!inScope(scope, key)) continue;
      io.manifest.remove({ endpoint, bucket: scope.bucket, key }, versionId);
      counts.removed.push({ url: formatS3Url({ bucket: scope.bucket, key }), versionId });
    }
    for (const { key, versionId } of gone.pulled) if (inScope(scope, key)) io.manifest.forgetPulled({ endpoint, bucket: scope.bucket, key }, versionId);
    return counts;
  } finally {
    listed.close();
  }
}

/**
 * List the scope one object at a time, comparing each object's versions with what the manifest knows of that object
 * only, and read the tags of the versions that are new or changed, `jobs` objects at a time. Throws when the listing
 * or a read failed or the pull was interrupted (nothing is then taken for gone).
 */
async function readChanged(io: Io, scope: Scope, opts: { jobs: number }, listed: ListedVersions, onItem: () => void): Promise<PullCounts> {
  const endpoint = io.conn.endpoint;
  const counts: PullCounts = { listed: 0, unchanged: 0, read: 0, recorded: 0, untagged: 0, denied: 0, removed: [] };
  const onDenied = (e: Sse3Error) => { counts.firstDenial ??= e; };
  let fatal: unknown;
  const objects = (async function* () {
    for await (const group of byObject(listScopeVersions(io, scope))) {
      const known = io.manifest.pullState({ endpoint, bucket: scope.bucket, key: group[0].key });
      const fresh: ListedObject[] = [];
      for (const v of group) {
        onItem();
        counts.listed++;
        listed.add(v.key, v.versionId);
        if (knownVersion(io, scope, v, known)) counts.unchanged++;
        else fresh.push(v);
      }
      if (fresh.length) yield fresh.reverse();
    }
  })();
  await runBatch(objects, async (fresh) => {
    // Oldest first: the manifest takes the version recorded last as the current one.
    for (const v of fresh) {
      if (fatal) return;
      counts.read++;
      const loc = { endpoint, bucket: scope.bucket, key: v.key };
      const outcome = await recordFromTags(io, scope.bucket, v, onDenied).catch((e: unknown) => { fatal ??= e; return undefined; });
      if (outcome === 'untagged' || outcome === 'recorded') io.manifest.rememberPulled(loc, v.versionId, stampOf(v), outcome === 'recorded');
      if (outcome) counts[outcome]++;
    }
  }, (o) => { if (o.error) fatal ??= o.error; }, { jobs: opts.jobs, signal: io.signal });
  if (fatal) throw fatal;
  if (io.signal?.aborted) throw new Sse3Error('INTERRUPTED', `manifest pull of ${formatS3Url({ bucket: scope.bucket, key: scope.prefix })} was interrupted`);
  return counts;
}
