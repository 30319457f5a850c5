import { readFileSync } from 'node:fs';
import { Sse3Error } from '../errors.js';
import { rollBackup } from '../manifest/backup.js';
import { readBackupRecords } from '../manifest/backup-records.js';
import { type ImportedRecords, parseManifestDocument } from '../manifest/document.js';
import { httpsEndpointIdentity } from '../s3/endpoint.js';
import { ManifestStore, openManifestReplacingDamaged } from '../manifest/store.js';
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
  // Every record is checked before the manifest is opened: a bad file changes nothing, not even the backups.
  const records = isDatabase ? readBackupRecords(bytes, file) : parseManifestDocument(bytes.toString('utf8'), file);
  const manifestFile = sse3Paths().manifestFile;
  const { manifest, movedAside } = openManifestReplacingDamaged(manifestFile);
  try {
    if (movedAside) out.warn(`the damaged manifest was moved aside to ${movedAside} (kept, not deleted); a new one was started`);
    // What was there before is kept as a backup, so an import can be undone.
    const backup = await rollBackup(manifest, manifestFile, { force: true });
    const c = manifest.importRecords(records);
    const left = notImportedNote(file, records.notImported);
    if (left) out.warn(left);
    out.result(`${out.c.green('✓')} imported ${file}: ${c.added} object version(s) added, ${c.alreadyRecorded} already recorded, ` +
      `${c.aliases} endpoint alias(es)` + (backup ? `; the manifest before the import is in ${backup}` : ''),
    { ok: true, file, ...c, notImported: records.notImported, backup: backup ?? null, movedAside: movedAside ?? null });
  } finally {
    manifest.close();
  }
}

/**
 * Open rotations and uploads of the file's manifest are that sse3's unfinished work, never taken over: acting on them
 * here would re-encrypt, tag or record objects because a file said so. What the user can do instead.
 */
function notImportedNote(file: string, n: ImportedRecords['notImported']): string | undefined {
  const parts = [n.rotations && `${n.rotations} open rotation(s)`, n.uploads && `${n.uploads} open upload(s)`].filter(Boolean);
  if (!parts.length) return undefined;
  return `${parts.join(' and ')} in ${file} not imported: an interrupted rotation is finished by sse3 rotate --resume on the ` +
    'machine that started it, and an object an interrupted upload wrote is recorded from its tags by sse3 manifest rebuild ' +
    's3://BUCKET (or found with its key by sse3 adopt s3://BUCKET)';
}

const identity = (text: string, what: string): string => {
  const id = httpsEndpointIdentity(text);
  if (!id) {
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
