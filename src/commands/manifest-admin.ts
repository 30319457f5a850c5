import { readFileSync } from 'node:fs';
import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import { writeBackup } from '../manifest/backup.js';
import { readBackupRecords } from '../manifest/backup-records.js';
import { parseManifestDocument } from '../manifest/document.js';
import { httpsEndpointIdentity, refuseKeyInEndpoint } from '../s3/endpoint.js';
import { ManifestStore, openManifestReplacingDamaged } from '../manifest/store.js';
import { sse3Paths } from '../paths.js';
import type { CommandRun } from '../options.js';
import { movedAsideWarning, notImportedWarning, renderAliasAdded, renderAliases, renderImported } from '../output/render-manifest.js';

// sse3 manifest import and alias: changes to the manifest as a whole, each after a backup of what was there.

/** sse3 manifest import FILE: an export, or a backup (SQLite), added to the manifest; a damaged one is moved aside. */
export async function importManifest(file: string, _opts: object, { out }: CommandRun): Promise<void> {
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
    if (movedAside) out.warn(movedAsideWarning(movedAside));
    // What was there before is kept as a backup, so an import can be undone.
    const backup = writeBackup(manifest, manifestFile);
    const counts = manifest.importRecords(records);
    const left = notImportedWarning(file, records.notImported);
    if (left) out.warn(left);
    out.show(renderImported(out, { file, counts, notImported: records.notImported, backup, movedAside }));
  } finally {
    manifest.close();
  }
}

const identity = (text: string, what: string): string => {
  refuseKeyInEndpoint(text, what);
  const id = httpsEndpointIdentity(text);
  if (!id) {
    throw new Sse3Error('USAGE', `${what} must be an https:// endpoint URL, got ${shown(text)}`, 'e.g. sse3 manifest alias https://minio.lan:9000 https://192.168.1.20:9000');
  }
  return id;
};

/** sse3 manifest alias [OLD NEW]: declare OLD another name of the server NEW (rows move to NEW), or list aliases. */
export async function alias(from: string | undefined, to: string | undefined, _opts: object, { out }: CommandRun): Promise<void> {
  if ((from === undefined) !== (to === undefined)) throw new Sse3Error('USAGE', 'give both names: sse3 manifest alias OLD NEW');
  const manifestFile = sse3Paths().manifestFile;
  const m = new ManifestStore(manifestFile);
  try {
    if (from === undefined || to === undefined) {
      out.show(renderAliases(m.aliases()));
      return;
    }
    const [old, target] = [identity(from, 'OLD'), identity(to, 'NEW')];
    const backup = writeBackup(m, manifestFile);
    const r = m.addAlias(old, target);
    out.show(renderAliasAdded(out, { alias: old, endpoint: r.endpoint, moved: r.moved, replaced: r.replaced, backup }));
  } finally {
    m.close();
  }
}
