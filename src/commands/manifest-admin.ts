import { readFileSync } from 'node:fs';
import { Sse3Error } from '../errors.js';
import { rollBackup } from '../manifest/backup.js';
import { parseManifestDocument } from '../manifest/document.js';
import { endpointIdentityOf } from '../manifest/entry.js';
import { ManifestStore, openManifestReplacingDamaged, readManifestFile } from '../manifest/store.js';
import { sse3Paths } from '../paths.js';
import type { Output } from '../output/output.js';

// sse3 manifest import and alias: changes to the manifest as a whole, each after a backup of what was there.

/** sse3 manifest import FILE: an export, or a backup (SQLite), added to the manifest; a damaged one is moved aside. */
export async function importManifest(file: string, out: Output): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Sse3Error('LOCAL_IO', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const isDatabase = bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\0';
  const doc = isDatabase ? readManifestFile(file) : parseManifestDocument(bytes.toString('utf8'), file);
  const manifestFile = sse3Paths().manifestFile;
  const { manifest, movedAside } = openManifestReplacingDamaged(manifestFile);
  try {
    if (movedAside) out.warn(`the damaged manifest was moved aside to ${movedAside} (kept, not deleted); a new one was started`);
    // What was there before is kept as a backup, so an import can be undone.
    const backup = await rollBackup(manifest, manifestFile, { force: true });
    const c = manifest.importDocument(doc);
    out.result(`${out.c.green('✓')} imported ${file}: ${c.added} object version(s) added, ${c.alreadyRecorded} already recorded, ` +
      `${c.rotations} open rotation(s), ${c.uploads} open upload(s), ${c.aliases} endpoint alias(es)` +
      (backup ? `; the manifest before the import is in ${backup}` : ''),
    { ok: true, file, ...c, backup: backup ?? null, movedAside: movedAside ?? null });
  } finally {
    manifest.close();
  }
}

const identity = (text: string, what: string): string => {
  const id = endpointIdentityOf(text);
  if (!id || !id.startsWith('https://')) {
    throw new Sse3Error('USAGE', `${what} must be an https:// endpoint URL, got "${text}"`, 'e.g. sse3 manifest alias https://minio.lan:9000 https://192.168.1.20:9000');
  }
  return id;
};

/** sse3 manifest alias [OLD NEW]: declare OLD another name of the server NEW (rows move to NEW), or list aliases. */
export async function alias(from: string | undefined, to: string | undefined, out: Output): Promise<void> {
  if ((from === undefined) !== (to === undefined)) throw new Sse3Error('USAGE', 'give both names: sse3 manifest alias OLD NEW');
  const manifestFile = sse3Paths().manifestFile;
  const m = new ManifestStore(manifestFile);
  try {
    if (from === undefined || to === undefined) {
      const aliases = m.aliases();
      out.result(aliases.length ? aliases.map((a) => `${a.alias} → ${a.endpoint}`) : ['no endpoint aliases'], { ok: true, aliases });
      return;
    }
    const [old, target] = [identity(from, 'OLD'), identity(to, 'NEW')];
    const backup = await rollBackup(m, manifestFile, { force: true });
    const r = m.addAlias(old, target);
    out.result(`${out.c.green('✓')} ${old} is another name of ${r.endpoint}: ${r.moved} object version(s) now recorded under ` +
      `${r.endpoint}` + (r.replaced ? `, ${r.replaced} older duplicate record(s) replaced` : '') +
      (backup ? `; the manifest before is in ${backup}` : ''),
    { ok: true, alias: old, endpoint: r.endpoint, moved: r.moved, replaced: r.replaced, backup: backup ?? null });
  } finally {
    m.close();
  }
}
