import { Sse3Error } from '../../errors.js';
import type { ListedObject } from '../../s3/list.js';
import { formatS3Url } from '../../s3/url.js';
import { runBatch } from '../runtime/batch.js';
import type { Io } from '../context.js';
import { recordFromTags } from './rebuild.js';
import { byObject } from './tag-scan.js';
import { inScope, listScopeVersions, type Scope } from '../session/scope.js';
import type { PullState } from '../../manifest/store.js';
import { sameVersion } from '../recorded.js';

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

const idOf = (key: string, versionId: string) => `${key}\0${versionId}`;
/** What tells a version changed: its ETag and its last-modified time (re-encrypting in place may keep the ETag). */
const stampOf = (v: ListedObject) => `${v.etag} ${v.lastModified?.toISOString() ?? ''}`;

/**
 * A listed version pull need not read: recorded here as this very version, or seen by the last pull with the same
 * stamp (and the same tagged-or-not). A record that holds only a bound of the version's time keeps the listed one.
 * Takes the version off `seen` (what is left there at the end is gone from the server).
 */
function knownVersion(io: Io, scope: Scope, v: ListedObject, seen: PullState): boolean {
  const id = idOf(v.key, v.versionId);
  const before = seen.pulled.get(id);
  const row = seen.recorded.get(id);
  seen.recorded.delete(id);
  seen.pulled.delete(id);
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

/**
 * What the manifest knows in scope: of one object (an object scope), only its own versions, never those of the keys
 * that start with its name; of a shard, only its keys — a pull removes the records of what it does not list.
 */
function inScopeOnly(scope: Scope, state: PullState): PullState {
  if (!scope.object && !scope.shard) return state;
  const own = <V>(m: Map<string, V>) => new Map([...m].filter(([id]) => inScope(scope, id.split('\0')[0])));
  return { recorded: own(state.recorded), pulled: own(state.pulled) };
}

export async function pullFromTags(io: Io, scope: Scope, opts: { jobs: number }): Promise<PullCounts> {
  const endpoint = io.conn.endpoint;
  const seen = inScopeOnly(scope, io.manifest.pullState({ endpoint, bucket: scope.bucket, prefix: scope.prefix }));
  const counts: PullCounts = { listed: 0, unchanged: 0, read: 0, recorded: 0, untagged: 0, denied: 0, removed: [] };
  const onDenied = (e: Sse3Error) => { counts.firstDenial ??= e; };
  let fatal: unknown;
  const objects = (async function* () {
    for await (const group of byObject(listScopeVersions(io, scope))) {
      const fresh: ListedObject[] = [];
      for (const v of group) {
        counts.listed++;
        if (knownVersion(io, scope, v, seen)) counts.unchanged++;
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
  // The whole scope was listed: what was seen before and is not there any more is gone from the server.
  for (const id of seen.recorded.keys()) {
    const [key, versionId] = id.split('\0');
    io.manifest.remove({ endpoint, bucket: scope.bucket, key }, versionId);
    counts.removed.push({ url: formatS3Url({ bucket: scope.bucket, key }), versionId });
  }
  for (const id of seen.pulled.keys()) {
    const [key, versionId] = id.split('\0');
    io.manifest.forgetPulled({ endpoint, bucket: scope.bucket, key }, versionId);
  }
  return counts;
}
