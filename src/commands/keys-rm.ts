import { lstat } from 'node:fs/promises';
import { keyRemovalCheck, type KeyRemovalCheck, removalRefusal } from '../core/keys/removal.js';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from '../keys/key.js';
import { removeStoredKey } from '../keys/remove.js';
import { defaultKeyContext, formatKeyRef, type KeyContext, type KeyRef, loadKey, parseKeyRef } from '../keys/sources.js';
import type { CommandRun } from '../options.js';
import { confirmedChange } from '../output/confirm.js';
import type { Output } from '../output/output.js';
import { renderKeyRemoved } from '../output/render-key-retire.js';
import { withSpinner } from '../output/spinner.js';
import { sse3Paths } from '../paths.js';

export interface KeysRmOptions {
  force?: boolean;
  yes?: boolean;
}

type StoredRef = Extract<KeyRef, { kind: 'file' | 'keychain' }>;

/** Work on a keychain entry may take a moment: a spinner says what it waits for. A file is at once. */
const keychainWork = <T>(out: Output, ref: StoredRef, doing: string, work: () => Promise<T>): Promise<T> =>
  (ref.kind === 'keychain' ? withSpinner(out, `${doing} keychain entry ${ref.name}`, work) : work());

/** Whether nothing is stored at ref (its absence, not another problem, kept the key from being read). */
async function nothingAt(ref: StoredRef, ctx: KeyContext): Promise<boolean> {
  if (ref.kind === 'file') return lstat(ref.path).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  return ctx.keychain.get(ref.name).then((v) => v === null, () => false);
}

/** The key to remove; a reference where nothing is stored says so, not how to create a key there. */
async function readStoredKey(ref: StoredRef, ctx: KeyContext): Promise<SseCKey> {
  try {
    return await loadKey(ref, ctx);
  } catch (e) {
    if (e instanceof Sse3Error && await nothingAt(ref, ctx)) {
      throw new Sse3Error(e.code, `${e.message}: there is no key to remove`, 'see the keys sse3 finds with: sse3 keys list');
    }
    throw e;
  }
}

/** What this home knows of the key's use (no request is made): the manifest's records and its buckets' latest scans. */
async function checkUse(fingerprint: string): Promise<KeyRemovalCheck> {
  const { ManifestStore } = await import('../manifest/store.js');
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    return keyRemovalCheck(m, fingerprint);
  } finally {
    m.close();
  }
}

/**
 * sse3 keys rm REF: remove a key file or keychain entry, only when nothing this home knows of still needs the key
 * (core/keys/removal.ts), and only once confirmed (on a terminal, or with --yes).
 */
export async function keysRm(refText: string, opts: KeysRmOptions, { out }: CommandRun): Promise<void> {
  const ref = parseKeyRef(refText);
  if (ref.kind === 'env') {
    throw new Sse3Error('USAGE', 'env: names a variable, not a stored key: there is nothing for sse3 to remove',
      `unset ${ref.name} in your shell and your scripts`);
  }
  const ctx: KeyContext = defaultKeyContext();
  const where = formatKeyRef(ref);
  const key = await keychainWork(out, ref, 'reading', () => readStoredKey(ref, ctx));
  const check = await checkUse(key.fingerprint);
  const refusal = removalRefusal(check, Boolean(opts.force));
  if (refusal) throw refusal;
  if (!await confirmedChange(out, { yes: opts.yes, hint: 'confirm with --yes',
    refusal: `removing key ${where} needs a confirmation, and there is no terminal to give it`,
    question: `remove key ${where} (fingerprint ${key.fingerprint})? objects encrypted with it cannot be read without it` })) {
    return out.show(renderKeyRemoved(out, { ref: where, check, removed: false }));
  }
  const removed = await keychainWork(out, ref, 'removing', () => removeStoredKey(ref, key.fingerprint, ctx));
  out.show(renderKeyRemoved(out, { ref: where, check, removed: true, linkTarget: removed.linkTarget }));
}
