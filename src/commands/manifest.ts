import { Sse3Error } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import { rebuildFromTags } from '../core/scans/rebuild.js';
import { pullFromTags } from '../core/scans/pull.js';
import { formatScope, parseScope } from '../core/session/scope.js';
import { openSession } from '../core/session/session.js';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION } from '../manifest/document.js';
import { ManifestStore } from '../manifest/store.js';
import { sse3Paths } from '../paths.js';
import { formatS3Url } from '../s3/url.js';
import { humanBytes, type Output } from '../output/output.js';

const movedAsideNote = (out: Output, aside: string | undefined) => {
  if (aside) out.warn(`the damaged manifest was moved aside to ${aside} (kept, not deleted); a new one was started`);
};

/** sse3 manifest rebuild s3://BUCKET[/PREFIX]: recover entries from the sse3-fp tags of the objects. */
export async function rebuild(scopeUrl: string, g: GlobalOptions, out: Output, signal: AbortSignal): Promise<void> {
  const scope = parseScope(scopeUrl);
  const s = await openSession(g, signal, { replaceDamaged: true });
  try {
    movedAsideNote(out, s.movedAside);
    const { recorded, untagged, denied, firstDenial } = await rebuildFromTags(s, scope);
    if (firstDenial) out.warn(`${denied} object version(s) not recorded: their tags could not be read (${firstDenial.message})`);
    out.result(`${out.c.green('✓')} rebuilt ${recorded} entr${recorded === 1 ? 'y' : 'ies'} from ${formatScope(scope)}` +
      (untagged ? ` (${untagged} object version(s) without an sse3 tag skipped)` : ''),
    { ok: !denied, scope: formatScope(scope), added: recorded, untagged, denied, movedAside: s.movedAside ?? null });
    // Objects that may be sse3's but could not be read are not "done": the exit status says so.
    if (firstDenial) {
      throw new Sse3Error('BATCH', `${denied} object version(s) could not be recorded`, firstDenial.hint ?? 'the warning above says why');
    }
  } finally {
    s.close();
  }
}

/** sse3 manifest pull s3://BUCKET[/PREFIX]: the incremental rebuild (tags read only for new or changed versions). */
export async function pull(scopeUrl: string, opts: { jobs: number }, g: GlobalOptions, out: Output, signal: AbortSignal): Promise<void> {
  const scope = parseScope(scopeUrl);
  const s = await openSession(g, signal);
  try {
    const c = await pullFromTags(s, scope, opts);
    for (const r of c.removed) out.info(`removed the record of ${r.url}${r.versionId ? ` version ${r.versionId}` : ''}: it is no longer on the server`);
    if (c.firstDenial) out.warn(`${c.denied} object version(s) not recorded: their tags could not be read (${c.firstDenial.message})`);
    out.result(`${out.c.green('✓')} pulled ${formatScope(scope)}: ${c.listed} version(s) listed, ${c.unchanged} unchanged, ` +
      `${c.read} new or changed read (${c.recorded} recorded, ${c.untagged} without an sse3 tag), ${c.removed.length} record(s) of ` +
      'versions gone removed',
    { ok: !c.denied, scope: formatScope(scope), listed: c.listed, unchanged: c.unchanged, read: c.read, recorded: c.recorded,
      untagged: c.untagged, denied: c.denied, removed: c.removed.map((r) => ({ url: r.url, versionId: r.versionId || null })) });
    if (c.firstDenial) {
      throw new Sse3Error('BATCH', `${c.denied} object version(s) could not be recorded`, c.firstDenial.hint ?? 'the warning above says why');
    }
  } finally {
    s.close();
  }
}

/** sse3 manifest list [s3://BUCKET[/PREFIX]]: every recorded object version (NDJSON with --json). */
export function list(scopeUrl: string | undefined, out: Output): void {
  const scope = scopeUrl ? parseScope(scopeUrl) : undefined;
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    // Streamed a page at a time: a manifest of a million entries is listed without holding it.
    let count = 0;
    for (const e of m.entries({ bucket: scope?.bucket, prefix: scope?.prefix })) {
      count++;
      if (out.json) out.ndjson(e);
      else {
        out.result(`${formatS3Url(e)}${e.versionId ? `  version ${e.versionId}` : ''}  key ${out.c.cyan(e.fingerprint)}  ` +
          `${humanBytes(e.size)}  ${e.createdAt}  ${e.endpoint}`, e);
      }
    }
    if (out.json) out.ndjson({ summary: { entries: count } });
    else if (!count) out.info('the manifest has no entries' + (scope ? ` under ${formatScope(scope)}` : ''));
  } finally {
    m.close();
  }
}

/** sse3 manifest export: the whole manifest as one JSON document, which sse3 manifest import reads back. */
export function exportManifest(out: Output): void {
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    out.document({ format: DOCUMENT_FORMAT, version: DOCUMENT_VERSION, exportedAt: new Date().toISOString(), ...m.document() });
  } finally {
    m.close();
  }
}
