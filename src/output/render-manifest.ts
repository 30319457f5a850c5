import { namesVersion } from '../s3/version.js';
import type { PullCounts } from '../core/scans/pull.js';
import type { RebuildCounts } from '../core/scans/rebuild.js';
import { formatScope, type Scope } from '../core/session/scope.js';
import type { ManifestEntry } from '../manifest/entry.js';
import { formatS3Url } from '../s3/url.js';
import type { Rendered } from './batch.js';
import { humanBytes, objectIds, type Output } from './output.js';

// The manifest commands' results in their two forms (see render.ts), and what they warn about.

/** A manifest that could not be read was moved aside before a new one was started. */
export const movedAsideWarning = (aside: string) => `the damaged manifest was moved aside to ${aside} (kept, not deleted); a new one was started`;

/** Versions rebuild or pull could not record because their tags could not be read. */
export const deniedWarning = (denied: number, firstDenial: Error) =>
  `${denied} object version(s) not recorded: their tags could not be read (${firstDenial.message})`;

/** One line of sse3 manifest list; its JSON is the entry itself. */
export function renderManifestEntry(out: Output, e: ManifestEntry): Rendered {
  return {
    line: `${formatS3Url(e)}${namesVersion(e.versionId) ? `  version ${e.versionId}` : ''}  key ${out.c.cyan(e.fingerprint)}  ` +
      `${humanBytes(e.size)}  ${e.createdAt}  ${e.endpoint}`,
    json: { ok: true, url: formatS3Url(e), ...e },
  };
}

/** What manifest list says when nothing is recorded (in scope). */
export const noManifestEntries = (scope: Scope | undefined) => 'the manifest has no entries' + (scope ? ` under ${formatScope(scope)}` : '');

export function renderRebuilt(out: Output, scope: Scope, c: RebuildCounts, movedAside: string | undefined): Rendered {
  return {
    line: `${out.c.green('✓')} rebuilt ${c.recorded} entr${c.recorded === 1 ? 'y' : 'ies'} from ${formatScope(scope)}: ${c.added} added, ` +
      `${c.updated} updated, ${c.unchanged} unchanged` + (c.untagged ? ` (${c.untagged} object version(s) without an sse3 tag skipped)` : ''),
    json: { ok: !c.denied, scope: formatScope(scope), added: c.added, updated: c.updated, unchanged: c.unchanged, untagged: c.untagged,
      denied: c.denied, movedAside: movedAside ?? null },
    kind: 'done',
  };
}

/** A version pull found gone from the server, whose record it removed. */
export const pullRemovedLine = (r: { url: string; versionId: string }) =>
  `removed the record of ${r.url}${namesVersion(r.versionId) ? ` version ${r.versionId}` : ''}: it is no longer on the server`;

export function renderPulled(out: Output, scope: Scope, c: PullCounts): Rendered {
  return {
    line: `${out.c.green('✓')} pulled ${formatScope(scope)}: ${c.listed} version(s) listed, ${c.unchanged} unchanged, ` +
      `${c.read} new or changed read (${c.recorded} recorded, ${c.untagged} without an sse3 tag), ${c.removed.length} record(s) of ` +
      'versions gone removed',
    json: { ok: !c.denied, scope: formatScope(scope), listed: c.listed, unchanged: c.unchanged, read: c.read, recorded: c.recorded,
      untagged: c.untagged, denied: c.denied, removed: c.removed.map((r) => ({ ...objectIds(r.url), versionId: r.versionId || null })) },
    kind: 'done',
  };
}

export interface ManifestImport {
  file: string;
  counts: { added: number; alreadyRecorded: number; aliases: number };
  notImported: { rotations: number; uploads: number };
  /** The backup of the manifest as it was before the import, if one was made. */
  backup?: string;
  movedAside?: string;
}

export function renderImported(out: Output, i: ManifestImport): Rendered {
  const c = i.counts;
  return {
    line: `${out.c.green('✓')} imported ${i.file}: ${c.added} object version(s) added, ${c.alreadyRecorded} already recorded, ` +
      `${c.aliases} endpoint alias(es)` + (i.backup ? `; the manifest before the import is in ${i.backup}` : ''),
    json: { ok: true, file: i.file, ...c, notImported: i.notImported, backup: i.backup ?? null, movedAside: i.movedAside ?? null },
    kind: 'done',
  };
}

/**
 * Open rotations and uploads of the file's manifest are that sse3's unfinished work, never taken over: acting on them
 * here would re-encrypt, tag or record objects because a file said so. What the user can do instead.
 */
export function notImportedWarning(file: string, n: ManifestImport['notImported']): string | undefined {
  const parts = [n.rotations && `${n.rotations} open rotation(s)`, n.uploads && `${n.uploads} open upload(s)`].filter(Boolean);
  if (!parts.length) return undefined;
  return `${parts.join(' and ')} in ${file} not imported: an interrupted rotation is finished by sse3 rotate --resume on the ` +
    'machine that started it, and an object an interrupted upload wrote is recorded from its tags by sse3 manifest rebuild ' +
    's3://BUCKET (or found with its key by sse3 adopt s3://BUCKET)';
}

export const renderAliases = (aliases: Array<{ alias: string; endpoint: string }>): Rendered => ({
  line: aliases.length ? aliases.map((a) => `${a.alias} → ${a.endpoint}`) : ['no endpoint aliases'],
  json: { ok: true, aliases },
  // An empty list says so on stderr: stdout holds only aliases.
  kind: aliases.length ? 'result' : 'note',
});

export interface AliasAdded {
  alias: string;
  endpoint: string;
  /** Object versions whose records moved to the endpoint, and older duplicates replaced on the way. */
  moved: number;
  replaced: number;
  backup?: string;
}

export function renderAliasAdded(out: Output, a: AliasAdded): Rendered {
  return {
    line: `${out.c.green('✓')} ${a.alias} is another name of ${a.endpoint}: ${a.moved} object version(s) now recorded under ` +
      `${a.endpoint}` + (a.replaced ? `, ${a.replaced} older duplicate record(s) replaced` : '') +
      (a.backup ? `; the manifest before is in ${a.backup}` : ''),
    json: { ok: true, alias: a.alias, endpoint: a.endpoint, moved: a.moved, replaced: a.replaced, backup: a.backup ?? null },
    kind: 'done',
  };
}
