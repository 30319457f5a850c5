import { discoverKeys, defaultKeyContext } from '../keys/sources.js';
import { sse3Paths } from '../paths.js';
import type { Output } from '../output/output.js';
import { withSpinner } from '../output/spinner.js';

/** sse3 keys list: the keys sse3 can find by itself, by name and fingerprint (never the key). */
export async function keysList(out: Output): Promise<void> {
  const paths = sse3Paths();
  const { keys, problems } = await withSpinner(out, 'looking for keys (SSE3_KEY, key folder, keychain)',
    () => discoverKeys(paths.keyDir, defaultKeyContext()));
  let use = new Map<string, number>();
  try {
    const { ManifestStore } = await import('../manifest/store.js');
    const m = new ManifestStore(paths.manifestFile);
    use = m.fingerprintUse();
    m.close();
  } catch (e) {
    // A damaged manifest is said; the keys are listed anyway.
    out.warn(`${(e as Error).message}; recorded object counts are unknown`);
  }
  const rows = keys.map((k) => ({ ref: k.ref, fingerprint: k.key.fingerprint, objects: use.get(k.key.fingerprint) ?? 0 }));
  for (const p of problems) out.warn(p);
  const width = Math.max(0, ...rows.map((r) => r.ref.length));
  out.result(rows.length
    ? rows.map((r) => `${r.ref.padEnd(width)}  ${out.c.cyan(r.fingerprint)}  ${r.objects} recorded object version(s)`)
    : [`no keys found (key folder ${paths.keyDir}, SSE3_KEY, keychain service sse3)`],
  { ok: true, keyDir: paths.keyDir, keys: rows, problems });
}
