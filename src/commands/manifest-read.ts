// The manifest commands that read only the local manifest: they load nothing of S3 or TLS (manifest.ts has those
// that talk to the server).
import type { CommandRun } from '../options.js';
import { adoptHint, inScope, nothingAt, resolveScope, type Scope } from '../core/session/scope.js';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION } from '../manifest/document.js';
import { ManifestStore } from '../manifest/store.js';
import { sse3Paths } from '../paths.js';
import { noManifestEntries, renderManifestEntry } from '../output/render-manifest.js';

/** sse3 manifest list [s3://BUCKET[/PREFIX]]: every recorded object version (NDJSON with --json). */
export async function list(scopeUrl: string | undefined, _opts: object, { out }: CommandRun): Promise<void> {
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    const inManifest = (sc: Scope) => m.entries({ bucket: sc.bucket, prefix: sc.prefix });
    const scope = scopeUrl ? await resolveScope(scopeUrl, (folder) => !inManifest(folder)[Symbol.iterator]().next().done) : undefined;
    // Streamed a page at a time: a manifest of a million entries is listed without holding it.
    let count = 0;
    for (const e of scope ? inManifest(scope) : m.entries({})) {
      if (scope && !inScope(scope, e.key)) continue;
      count++;
      const r = renderManifestEntry(out, e);
      out.item(r.line, r.json);
    }
    if (!count && scope?.object) throw nothingAt(scope, 'in the manifest', adoptHint(scope));
    if (out.json) out.summary({ ok: true, entries: count }, '');
    else if (!count) out.info(noManifestEntries(scope));
  } finally {
    m.close();
  }
}

/** sse3 manifest export: the whole manifest as one JSON document, which sse3 manifest import reads back. */
export function exportManifest(_opts: object, { out }: CommandRun): void {
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    out.document({ format: DOCUMENT_FORMAT, version: DOCUMENT_VERSION, exportedAt: new Date().toISOString(), ...m.document() });
  } finally {
    m.close();
  }
}
