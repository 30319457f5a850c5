import { Sse3Error } from '../errors.js';
import { encodeKey } from '../keys/encode.js';
import type { KeyImportFormat, SseCKey } from '../keys/key.js';
import { defaultKeyContext, formatKeyRef, type KeyRef, loadKey, parseKeyRef, storeKey } from '../keys/sources.js';
import type { CommandRun } from '../options.js';
import type { Output } from '../output/output.js';
import { renderKeyExported } from '../output/render-key-retire.js';
import { withSpinner } from '../output/spinner.js';

export interface KeysExportOptions {
  to?: string;
  format?: KeyImportFormat;
  force?: boolean;
}

/** Where an export goes: a new key file, or stdout ('-'). Anything else is refused with what to do instead. */
function exportTarget(to: string | undefined): Extract<KeyRef, { kind: 'file' }> | '-' {
  if (to === undefined) {
    throw new Sse3Error('USAGE', 'say where the copy of the key goes: --to file:PATH, or --to - for stdout',
      'e.g. sse3 keys export keychain:NAME --to file:/media/usb/NAME.key');
  }
  if (to === '-') return to;
  const target = parseKeyRef(to);
  if (target.kind !== 'file') {
    throw new Sse3Error('USAGE', `--to takes file:PATH or -, not ${target.kind}:`, target.kind === 'keychain'
      ? 'to copy a key into the keychain: sse3 keys export REF --to - | sse3 keys import keychain:NAME --from -'
      : 'sse3 cannot set variables in your shell: write the key to a file (--to file:PATH) or to stdout (--to -)');
  }
  return target;
}

/** Read the key, from the keychain with a spinner (it may take a moment), else at once. */
async function readKey(out: Output, ref: KeyRef): Promise<SseCKey> {
  const load = () => loadKey(ref, defaultKeyContext());
  return ref.kind === 'keychain' ? withSpinner(out, `reading keychain entry ${ref.name}`, load) : load();
}

/**
 * sse3 keys export REF --to file:PATH|-: a copy of the key, in a form keys import reads, for a backup or a teammate.
 * A file is created 0600 and never overwrites; stdout only when it is no terminal (or with --force). The only command
 * that writes a key anywhere but a key store, and only where the user asked for it.
 */
export async function keysExport(refText: string, opts: KeysExportOptions, { out }: CommandRun): Promise<void> {
  const target = exportTarget(opts.to);
  const ref = parseKeyRef(refText);
  if (target === '-' && process.stdout.isTTY && !opts.force) {
    throw new Sse3Error('USAGE', 'refusing to write the key to a terminal, where it stays on the screen and in its scrollback',
      'write it to a file (--to file:PATH) or pipe it (sse3 keys export REF --to - | gpg -c > key.gpg); --force writes it here anyway');
  }
  const key = await readKey(out, ref);
  const format = opts.format ?? (target === '-' ? 'base64' : 'raw');
  const source = formatKeyRef(ref);
  if (target === '-') {
    const bytes = encodeKey(key, format);
    out.warn(`what sse3 writes to stdout is key ${key.fingerprint} itself: whoever reads it can read every object encrypted ` +
      'with it; keep it where only you can read it');
    const stdout = out.dataStream();
    await new Promise<void>((resolve, reject) => stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
    out.show(renderKeyExported(out, { ref: source, to: '-', fingerprint: key.fingerprint, format }));
    return;
  }
  await storeKey(target, key, undefined, format, 'keys export');
  const to = formatKeyRef(target);
  out.warn(`${target.path} is key ${key.fingerprint} itself: whoever reads it can read every object encrypted with it; ` +
    'keep it where only you can read it (offline, or encrypted)');
  out.show(renderKeyExported(out, { ref: source, to, fingerprint: key.fingerprint, format }));
}
