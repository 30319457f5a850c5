import type { CommandRun } from '../options.js';
import { mapInOrder } from '../core/runtime/batch.js';
import { describeListed } from '../core/objects/listing.js';
import { parseScope } from '../core/session/scope.js';
import { openSession, type Session } from '../core/session/session.js';
import { listBuckets, type LevelEntry, listLevel } from '../s3/list.js';
import { parseS3Url } from '../s3/url.js';
import type { Output } from '../output/output.js';
import { renderBucket, renderDeleteMarker, renderListedPrefix, renderListedRow } from '../output/render.js';

export interface LsOptions {
  recursive?: boolean;
  versions?: boolean;
  fast?: boolean;
  jobs: number;
}

/** sse3 ls [s3://BUCKET[/PREFIX]]: buckets, or objects with their encryption, key fingerprint and whether the key is here. */
export async function ls(target: string | undefined, opts: LsOptions, { g, out, signal }: CommandRun): Promise<void> {
  const loc = target === undefined ? undefined : parseS3Url(target);
  const s = await openSession(g, { signal, out });
  try {
    let listed = 0;
    if (!loc) {
      for (const b of await listBuckets(s.conn, signal)) {
        const r = renderBucket(b.name, b.created);
        out.item(r.line, r.json);
        listed++;
      }
    } else {
      const scope = parseScope(target!);
      listed = await show(s, out, scope.bucket, scope.prefix, opts);
      // `ls s3://b/name` of an object (not a folder) shows that object, as aws s3 ls does.
      if (!listed && loc.key !== '' && !loc.key.endsWith('/')) {
        const slash = loc.key.lastIndexOf('/');
        listed = await show(s, out, loc.bucket, loc.key.slice(0, slash + 1), { ...opts, recursive: false }, loc.key);
      }
    }
    // The JSON lines end with the count, as every many-result command's do (nothing listed included).
    if (out.json) out.summary({ ok: true, listed }, '');
  } finally {
    s.close();
  }
}

/** Print one listing in order, unknown objects looked up in parallel; returns how many lines it printed. */
async function show(s: Session, out: Output, bucket: string, prefix: string, opts: LsOptions, only?: string): Promise<number> {
  const entries = (async function* () {
    const base = only ?? prefix;
    for await (const e of listLevel(s.conn, bucket, base, { versions: opts.versions, deleteMarkers: opts.versions,
      delimiter: opts.recursive ? undefined : '/' }, s.signal)) {
      if (only !== undefined && (e.kind === 'prefix' || e.key !== only)) continue;
      yield e;
    }
  })();
  let n = 0;
  // The object whose key is the folder itself ("dir/" with content, listed in s3://b/dir/) has no name relative to it.
  const name = (key: string) => (opts.recursive ? key : key.slice(prefix.length) || key);
  const describe = async (e: LevelEntry) => e.kind === 'prefix' ? renderListedPrefix(bucket, e.prefix, name(e.prefix))
    : e.deleteMarker ? renderDeleteMarker(out, bucket, e, name(e.key))
    : renderListedRow(out, await describeListed(s, bucket, e, opts), name(e.key), Boolean(opts.versions));
  for await (const r of mapInOrder(entries, opts.jobs, describe)) {
    out.item(r.line, r.json);
    n++;
  }
  return n;
}
