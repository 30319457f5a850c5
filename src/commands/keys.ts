import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import { discoverKeys, defaultKeyContext, keychainUnreadable, loadKey, parseKeyRef } from '../keys/sources.js';
import type { KeyDefault, KeyRefRecord } from '../manifest/store.js';
import { formatScope } from '../core/session/scope.js';
import type { CommandRun } from '../options.js';
import { sse3Paths } from '../paths.js';
import { renderKeyList } from '../output/render-keys.js';
import { withSpinner } from '../output/spinner.js';

/** `sse3 keys WORD` reaches keys list when WORD is no keys command: said as such, and never echoed if it may be a key. */
function refuseUnknownCommand(words: string[]): void {
  if (!words.length) return;
  throw new Sse3Error('USAGE', `unknown keys command ${shown(words[0])}`, 'try: sse3 keys list, or sse3 keys import REF --from FILE');
}

/** What the home records of the keys: object versions per fingerprint, default scopes, remembered references. */
interface KeyBook {
  use: Map<string, number>;
  defaults: KeyDefault[];
  refs: KeyRefRecord[];
}

function readKeyBook(file: string): Promise<KeyBook> {
  return import('../manifest/store.js').then(({ ManifestStore }) => {
    const m = new ManifestStore(file);
    try {
      return { use: m.fingerprintUse(), defaults: m.keyDefaults(), refs: m.keyRefs() };
    } finally {
      m.close();
    }
  });
}

/**
 * The keys at references the home remembers (a key file outside the key folder, a default's key) that discovery did not
 * find: each still holding its fingerprint is listed where it lives; one no reference holds any more is listed where it
 * was last seen, as not available.
 */
async function rememberedKeys(refs: KeyRefRecord[], listed: Set<string>): Promise<Array<{ ref: string; fingerprint: string; available: boolean }>> {
  const found = [];
  for (const fp of new Set(refs.map((r) => r.fingerprint))) {
    if (listed.has(fp)) continue;
    const mine = refs.filter((r) => r.fingerprint === fp);
    let at: string | undefined;
    let unknown = false;
    for (const r of mine) {
      const key = await loadKey(parseKeyRef(r.ref)).catch((e: unknown) => {
        // A keychain that cannot be read (locked, no Secret Service) says nothing of whether the entry is there: the
        // warning about the keychain says what to do, and the key is not called missing.
        if (keychainUnreadable(e)) unknown = true;
        return undefined;
      });
      if (key?.fingerprint === fp) {
        at = r.ref;
        break;
      }
    }
    if (at !== undefined || !unknown) found.push({ ref: at ?? mine[0]!.ref, fingerprint: fp, available: at !== undefined });
  }
  return found;
}

/** sse3 keys list: the keys sse3 can find by itself, by name and fingerprint (never the key). */
export async function keysList(_opts: object, { out, excessArgs }: CommandRun): Promise<void> {
  refuseUnknownCommand(excessArgs);
  const paths = sse3Paths();
  const { keys, problems } = await withSpinner(out, 'looking for keys (SSE3_KEY, key folder, keychain)',
    () => discoverKeys(paths.keyDir, defaultKeyContext()));
  // A manifest that cannot be read leaves the counts unknown (null), never 0: the keys are listed anyway, and the
  // warning says why and names the way back.
  let book: KeyBook | undefined;
  try {
    book = await readKeyBook(paths.manifestFile);
  } catch (e) {
    const why = e instanceof Sse3Error && e.hint ? `${e.message}; ${e.hint}` : (e as Error).message;
    problems.push(`${why}; recorded object counts are unknown`);
  }
  const all = [...keys.map((k) => ({ ref: k.ref, fingerprint: k.key.fingerprint, available: true })),
    ...await rememberedKeys(book?.refs ?? [], new Set(keys.map((k) => k.key.fingerprint)))];
  for (const p of problems) out.warn(p);
  out.show(renderKeyList(out, { keyDir: paths.keyDir, problems,
    keys: all.map((k) => ({ ...k, objects: book ? book.use.get(k.fingerprint) ?? 0 : null,
      defaults: book?.defaults.filter((d) => d.fingerprint === k.fingerprint).map((d) => formatScope(d)) ?? [],
      lastUsed: lastUse(book?.refs ?? [], k.fingerprint) })) }));
}

/** When a key was last used, from any reference (null: never, as far as this home knows). */
const lastUse = (refs: KeyRefRecord[], fingerprint: string): string | null =>
  refs.filter((r) => r.fingerprint === fingerprint && r.lastUsed).map((r) => r.lastUsed!).sort().at(-1) ?? null;
