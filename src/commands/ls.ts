import type { CommandRun } from '../options.js';
import { mapInOrder } from '../core/runtime/batch.js';
import { describeListed } from '../core/objects/listing.js';
import { nothingAt, parseScope } from '../core/session/scope.js';
import { openSession, type Session } from '../core/session/session.js';
import { listBuckets, type LevelEntry, listLevel } from '../s3/list.js';
import { parseS3Url } from '../s3/url.js';
import type { Output } from '../output/output.js';
import { lsTotals, renderBucket, renderDeleteMarker, renderListedPrefix, renderListedRow } from '../output/render.js';

export interface LsOptions {
  recursive?: boolean;
  versions?: boolean;
  fast?: boolean;
  humanReadable?: boolean;
  summarize?: boolean;
  jobs: number;
}

/** What a listing showed: lines printed, and the objects (versions) among them with their bytes, for --summarize. */
interface Shown {
  lines: number;
  objects: number;
  bytes: number;
}

/** sse3 ls [s3://BUCKET[/PREFIX]]: buckets, or objects with their encryption, key fingerprint and whether the key is here. */
export async function ls(target: string | undefined, opts: LsOptions, { g, out, signal }: CommandRun): Promise<void> {
  const loc = target === undefined ? undefined : parseS3Url(target);
  const s = await openSession(g, { signal, out });
  try {
    let shown: Shown = { lines: 0, objects: 0, bytes: 0 };
    if (!loc) {
      for (const b of await listBuckets(s.conn, signal)) {
        const r = renderBucket(b.name, b.created);
        out.item(r.line, r.json);
        shown.lines++;
      }
    } else {
      const scope = parseScope(target!);
      shown = await show(s, out, scope.bucket, scope.prefix, opts);
      // `ls s3://b/name` of an object (not a folder) shows that object, as aws s3 ls does.
      if (!shown.lines && loc.key !== '' && !loc.key.endsWith('/')) {
        const slash = loc.key.lastIndexOf('/');
        shown = await show(s, out, loc.bucket, loc.key.slice(0, slash + 1), { ...opts, recursive: false }, loc.key);
      }
      // A prefix or object named that holds nothing is an error, as for aws s3 ls (an empty bucket is not).
      if (!shown.lines && loc.key !== '') {
        if (out.json) out.summary({ ok: false, listed: 0 }, '');
        throw nothingAt(scope, 'on the server');
      }
    }
    // The JSON lines end with the count, as every many-result command's do; --summarize says the totals in words too.
    const totals = opts.summarize ? { objects: shown.objects, bytes: shown.bytes } : {};
    if (out.json) out.summary({ ok: true, listed: shown.lines, ...totals }, '');
    else if (opts.summarize) out.result(lsTotals(shown, opts.humanReadable), undefined);
  } finally {
    s.close();
  }
}

/** Print one listing in order, unknown objects looked up in parallel; returns what it printed. */
async function show(s: Session, out: Output, bucket: string, prefix: string, opts: LsOptions, only?: string): Promise<Shown> {
  const entries = (async function* () {
    const base = only ?? prefix;
    for await (const e of listLevel(s.conn, bucket, base, { versions: opts.versions, deleteMarkers: opts.versions,
      delimiter: opts.recursive ? undefined : '/' }, s.signal)) {
      if (only !== undefined && (e.kind === 'prefix' || e.key !== only)) continue;
      yield e;
    }
  })();
  const shown: Shown = { lines: 0, objects: 0, bytes: 0 };
  // The object whose key is the folder itself ("dir/" with content, listed in s3://b/dir/) has no name relative to it.
  const name = (key: string) => (opts.recursive ? key : key.slice(prefix.length) || key);
  const describe = async (e: LevelEntry) => e.kind === 'prefix' ? renderListedPrefix(bucket, e.prefix, name(e.prefix))
    : e.deleteMarker ? renderDeleteMarker(out, bucket, e, name(e.key))
    : renderListedRow(out, await describeListed(s, bucket, e, opts), name(e.key), { versions: Boolean(opts.versions),
      humanReadable: opts.humanReadable });
  for await (const r of mapInOrder(entries, opts.jobs, describe)) {
    out.item(r.line, r.json);
    shown.lines++;
    const row = r.json as { type?: string; size?: number };
    if (row.type === 'object') {
      shown.objects++;
      shown.bytes += row.size ?? 0;
    }
  }
  return shown;
}
