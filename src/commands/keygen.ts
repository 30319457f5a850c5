import { generateKey, parseKeyRef, type KeyFileFormat } from '../keys/sources.js';
import { sse3Paths } from '../paths.js';
import type { Output } from '../output/output.js';
import { withSpinner } from '../output/spinner.js';

export interface KeygenOptions {
  format?: KeyFileFormat;
}

/** sse3 keygen REF: a new 32-byte key from the OS CSPRNG, stored at REF, never overwriting. */
export async function keygen(refText: string, opts: KeygenOptions, out: Output): Promise<void> {
  const ref = parseKeyRef(refText);
  const create = () => generateKey(ref, undefined, opts.format ?? 'raw');
  // The keychain may take a moment (or prompt to unlock); files are instant.
  const key = ref.kind === 'keychain' ? await withSpinner(out, `storing a new key in the keychain as ${ref.name}`, create) : await create();
  const where = ref.kind === 'file' ? `file:${ref.path}` : `keychain:${ref.name}`;
  const lines = [
    `${out.c.green('✓')} new key ${out.c.bold(where)}`,
    `  fingerprint ${out.c.cyan(key.fingerprint)}`,
  ];
  if (ref.kind === 'file') {
    lines.push(out.c.dim(`  back it up: an object encrypted with this key cannot be read without it` +
      ` (get and head find keys in ${sse3Paths().keyDir} by themselves)`));
  }
  out.result(lines, { ok: true, ref: where, fingerprint: key.fingerprint });
}
