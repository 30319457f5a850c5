import type { KeyRemovalCheck } from '../core/keys/removal.js';
import type { Rendered } from './batch.js';
import type { Output } from './output.js';

// keys export and keys rm in their two forms (see render.ts). Never the key: the export's bytes go out on their own.

export interface ExportedKey {
  ref: string;
  /** file:PATH, or '-' for stdout. */
  to: string;
  fingerprint: string;
  format: string;
}

export function renderKeyExported(out: Output, k: ExportedKey): Rendered {
  const where = k.to === '-' ? 'stdout' : k.to;
  return {
    line: [`${out.c.green('✓')} exported key ${out.c.bold(k.ref)} to ${where} (${k.format})`, `  fingerprint ${out.c.cyan(k.fingerprint)}`,
      out.c.dim(`  read it back with: sse3 keys import file:PATH|keychain:NAME --from ${k.to === '-' ? 'FILE (or --from - at the end of a pipe)' : k.to.slice('file:'.length)}`)],
    json: { ok: true, ref: k.ref, to: k.to, fingerprint: k.fingerprint, format: k.format },
    kind: 'done',
  };
}

export interface RemovedKeyReport {
  ref: string;
  check: KeyRemovalCheck;
  /** false: the confirmation was declined, nothing was removed. */
  removed: boolean;
  linkTarget?: string;
}

export function renderKeyRemoved(out: Output, r: RemovedKeyReport): Rendered {
  const recorded = r.check.recorded.reduce((n, b) => n + b.versions, 0);
  const json = { ok: true, ref: r.ref, fingerprint: r.check.fingerprint, removed: r.removed, recordedVersions: recorded,
    ...(r.linkTarget ? { linkTarget: r.linkTarget } : {}) };
  if (!r.removed) return { line: `not confirmed: key ${r.ref} was kept`, json, kind: 'note' };
  const lines = [`${out.c.green('✓')} removed key ${out.c.bold(r.ref)}`, `  fingerprint ${out.c.cyan(r.check.fingerprint)}`];
  if (r.linkTarget) lines.push(out.c.yellow(`  ${r.ref.slice('file:'.length)} was a symbolic link: only the link was removed; the key is still in ${r.linkTarget}`));
  if (recorded) {
    lines.push(out.c.yellow(`  this manifest still records ${recorded} object version(s) under it (in ${[...new Set(r.check.recorded
      .map((b) => `s3://${b.bucket}`))].join(', ')}): they cannot be read without this key, should they still exist`));
  }
  return { line: lines, json, kind: 'done' };
}
