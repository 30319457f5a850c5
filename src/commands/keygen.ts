import { generateKey, parseKeyRef, type KeyFileFormat } from '../keys/sources.js';
import type { CommandRun } from '../options.js';
import { sse3Paths } from '../paths.js';
import { renderKeygen } from '../output/render-keys.js';
import { withSpinner } from '../output/spinner.js';

export interface KeygenOptions {
  format?: KeyFileFormat;
}

/** sse3 keygen REF: a new 32-byte key from the OS CSPRNG, stored at REF, never overwriting. */
export async function keygen(refText: string, opts: KeygenOptions, { out }: CommandRun): Promise<void> {
  const ref = parseKeyRef(refText);
  const create = () => generateKey(ref, undefined, opts.format ?? 'raw');
  // The keychain may take a moment (or prompt to unlock); files are instant.
  const key = ref.kind === 'keychain' ? await withSpinner(out, `storing a new key in the keychain as ${ref.name}`, create) : await create();
  const where = ref.kind === 'file' ? `file:${ref.path}` : `keychain:${ref.name}`;
  out.show(renderKeygen(out, { ref: where, kind: ref.kind === 'file' ? 'file' : 'keychain', fingerprint: key.fingerprint,
    keyDir: sse3Paths().keyDir }));
}
