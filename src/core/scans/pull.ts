import { Sse3Error } from '../../errors.js';
import type { ListedObject } from '../../s3/list.js';
import { formatS3Url } from '../../s3/url.js';
import { runBatch } from '../runtime/batch.js';
import type { Io } from '../context.js';
import { recordFromTags } from './rebuild.js';
import { byObject } from './tag-scan.js';
import { listScopeVersions, type Scope } from '../session/scope.js';

/**
 * manifest pull: an incremental rebuild for a shared bucket. Every version is listed (one request per 1,000), but
 * tags are read only for versions that are new or whose stamp (ETag and last-modified time) differs from the one the
 * last pull saw (table pulled_versions); rows of versions no longer on the server are removed. The listing is the expensive part no more: a bucket where ten objects changed costs ~ten tag reads.
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

export async function pullFromTags(io: Io, scope: Scope, opts: { jobs: number }): Promise<PullCounts> {
  const endpoint = io.conn.endpoint;
  const seen = io.manifest.pullState({ endpoint, bucket: scope.bucket, prefix: scope.prefix });
  const counts: PullCounts = { listed: 0, unchanged: 0, read: 0, recorded: 0, untagged: 0, denied: 0, removed: [] };
  const onDenied = (e: Sse3Error) => { counts.firstDenial ??= e; };
  let fatal: unknown;
  const objects = (async function* () {
    for await (const group of byObject(listScopeVersions(io, scope))) {
      const fresh: ListedObject[] = [];
      for (const v of group) {
        counts.listed++;
        const id = idOf(v.key, v.versionId);
        const before = seen.pulled.get(id);
        const recorded = seen.recorded.delete(id);
        seen.pulled.delete(id);
        if (before && before.stamp === stampOf(v) && before.tagged === recorded) counts.unchanged++;
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
  for (const id of seen.recorded) {
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
