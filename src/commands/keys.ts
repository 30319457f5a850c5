import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import { discoverKeys, defaultKeyContext } from '../keys/sources.js';
import type { CommandRun } from '../options.js';
import { sse3Paths } from '../paths.js';
import { renderKeyList } from '../output/render-keys.js';
import { withSpinner } from '../output/spinner.js';

/** `sse3 keys WORD` reaches keys list when WORD is no keys command: said as such, and never echoed if it may be a key. */
function refuseUnknownCommand(words: string[]): void {
  if (!words.length) return;
  throw new Sse3Error('USAGE', `unknown keys command ${shown(words[0])}`, 'try: sse3 keys list, or sse3 keys import REF --from FILE');
}

/** sse3 keys list: the keys sse3 can find by itself, by name and fingerprint (never the key). */
export async function keysList(_opts: object, { out, excessArgs }: CommandRun): Promise<void> {
  refuseUnknownCommand(excessArgs);
  const paths = sse3Paths();
  const { keys, problems } = await withSpinner(out, 'looking for keys (SSE3_KEY, key folder, keychain)',
    () => discoverKeys(paths.keyDir, defaultKeyContext()));
  // A manifest that cannot be read leaves the counts unknown (null), never 0: the keys are listed anyway, and the
  // warning says why and names the way back.
  let use: Map<string, number> | undefined;
  try {
    const { ManifestStore } = await import('../manifest/store.js');
    const m = new ManifestStore(paths.manifestFile);
    try {
      use = m.fingerprintUse();
    } finally {
      m.close();
    }
  } catch (e) {
    const why = e instanceof Sse3Error && e.hint ? `${e.message}; ${e.hint}` : (e as Error).message;
    problems.push(`${why}; recorded object counts are unknown`);
  }
  for (const p of problems) out.warn(p);
  out.show(renderKeyList(out, { keyDir: paths.keyDir, problems,
    keys: keys.map((k) => ({ ref: k.ref, fingerprint: k.key.fingerprint, objects: use ? use.get(k.key.fingerprint) ?? 0 : null })) }));
}
