import { TAG_FINGERPRINT, TAG_SHA256 } from '../core/ssec.js';
import { ManifestStore } from '../manifest/store.js';
import { sse3Paths } from '../paths.js';
import { type ListedObject, listObjectVersions } from '../s3/list.js';
import { statusOf } from '../s3/errors.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import { humanBytes, type Output } from '../output/output.js';
import { type GlobalOptions, openSession } from './session.js';

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

/** sse3 manifest rebuild s3://BUCKET[/PREFIX]: recover entries from the sse3-fp tags of the objects. */
export async function rebuild(scopeUrl: string, g: GlobalOptions, out: Output, signal: AbortSignal): Promise<void> {
  const scope = parseS3Url(scopeUrl);
  const s = await openSession(g, signal);
  const { GetObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  let added = 0;
  let untagged = 0;
  let denied = 0;
  try {
    for await (const v of oldestFirst(listObjectVersions(s.conn, scope.bucket, scope.key, signal))) {
      let tags: Record<string, string>;
      try {
        const t = await s.conn.client.send(new GetObjectTaggingCommand({ Bucket: scope.bucket, Key: v.key,
          VersionId: v.versionId || undefined }), { abortSignal: signal });
        tags = Object.fromEntries((t.TagSet ?? []).map((tag) => [tag.Key!, tag.Value!]));
      } catch (e) {
        if (statusOf(e) === 403) { denied++; continue; }
        throw e;
      }
      const fingerprint = tags[TAG_FINGERPRINT];
      if (!fingerprint) { untagged++; continue; }
      s.manifest.record({ endpoint: s.conn.endpoint, bucket: scope.bucket, key: v.key, versionId: v.versionId, fingerprint,
        size: v.size, sha256: tags[TAG_SHA256] ?? '', etag: v.etag, createdAt: (v.lastModified ?? new Date()).toISOString() });
      added++;
    }
    if (denied) out.warn(`${denied} object version(s) skipped: reading their tags is not permitted`);
    out.result(`${out.c.green('✓')} rebuilt ${added} entr${added === 1 ? 'y' : 'ies'} from ${formatS3Url(scope)}` +
      (untagged ? ` (${untagged} object version(s) without an sse3 tag skipped)` : ''),
      { ok: true, scope: formatS3Url(scope), added, untagged, denied });
  } finally {
    s.close();
  }
}

/** sse3 manifest list [s3://BUCKET[/PREFIX]]: every recorded object version (NDJSON with --json). */
export function list(scopeUrl: string | undefined, out: Output): void {
  const scope = scopeUrl ? parseS3Url(scopeUrl) : undefined;
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    const entries = m.list({ bucket: scope?.bucket, prefix: scope?.key });
    if (out.json) {
      for (const e of entries) out.ndjson(e);
      return;
    }
    if (!entries.length) out.info('the manifest has no entries' + (scope ? ` under ${formatS3Url(scope)}` : ''));
    for (const e of entries) {
      out.result(`${formatS3Url(e)}${e.versionId ? `  version ${e.versionId}` : ''}  key ${out.c.cyan(e.fingerprint)}  ` +
        `${humanBytes(e.size)}  ${e.createdAt}  ${e.endpoint}`, e);
    }
  } finally {
    m.close();
  }
}

/** sse3 manifest export: the whole manifest as one JSON document, for backup. */
export function exportManifest(out: Output): void {
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    const doc = { format: 'sse3-manifest', version: 1, exportedAt: new Date().toISOString(), objects: m.list(),
      pendingRotations: m.openRotations(), pendingUploads: m.pendingUploads() };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } finally {
    m.close();
  }
}
