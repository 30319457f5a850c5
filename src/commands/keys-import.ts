import { promises as fs } from 'node:fs';
import { Sse3Error } from '../errors.js';
import { type KeyImportFormat, parseImportedKey } from '../keys/key.js';
import { looksLikeKey } from '../keys/likeness.js';
import { formatKeyRef, parseKeyRef, storeKey } from '../keys/sources.js';
import { sse3Paths } from '../paths.js';
import type { CommandRun } from '../options.js';
import { renderKeyImported } from '../output/render-keys.js';
import { withSpinner } from '../output/spinner.js';

export interface KeysImportOptions {
  from?: string;
  format?: KeyImportFormat;
}

/** More than any key form takes: the rest is not read. */
const MAX_KEY_INPUT = 4096;

async function readInput(from: string): Promise<{ content: Buffer; source: string; othersCanRead?: boolean }> {
  if (from === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_KEY_INPUT) break;
    }
    return { content: Buffer.concat(chunks), source: 'standard input' };
  }
  const st = await fs.stat(from).catch(() => undefined);
  if (!st) {
    if (looksLikeKey(from)) {
      throw new Sse3Error('USAGE', '--from names no file, and its value looks like a key itself: keys are never taken from the command line',
        'consider that key exposed (ps shows arguments to every user); write it to a file and pass --from FILE, or pipe it: --from -');
    }
    throw new Sse3Error('LOCAL_IO', `cannot read ${from}: no such file`, 'pass the file that holds the key with --from FILE, or --from - for stdin');
  }
  if (st.isDirectory()) throw new Sse3Error('USAGE', `${from} is a folder, not a key file`);
  // Pipes are fine (--from <(pass show key)); only the first bytes are read.
  const handle = await fs.open(from, 'r');
  try {
    const buf = Buffer.alloc(MAX_KEY_INPUT + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, null);
      if (bytesRead === 0 || (n += bytesRead) >= buf.length) break;
    }
    return { content: buf.subarray(0, n), source: from, othersCanRead: st.isFile() && (st.mode & 0o077) !== 0 };
  } finally {
    await handle.close();
  }
}

/** sse3 keys import REF --from FILE|-: an existing key stored at REF (never overwriting); prints its fingerprint. */
export async function keysImport(refText: string, opts: KeysImportOptions, { out, excessArgs }: CommandRun): Promise<void> {
  if (excessArgs.length) {
    throw new Sse3Error('USAGE', 'keys are never taken from the command line: sse3 keys import takes only REF and --from',
      'consider a key typed as an argument exposed (ps shows it to every user); pass --from FILE, or --from - for stdin');
  }
  if (opts.from === undefined) {
    throw new Sse3Error('USAGE', 'say where the key comes from: --from FILE, or --from - for stdin',
      'keys are never taken from the command line');
  }
  const ref = parseKeyRef(refText);
  if (ref.kind === 'env') {
    throw new Sse3Error('USAGE', 'env: cannot be an import target (sse3 cannot set variables in your shell)',
      'import into a file or the keychain: sse3 keys import file:PATH | keychain:NAME --from FILE');
  }
  const { content, source, othersCanRead } = await readInput(opts.from);
  if (content.length > MAX_KEY_INPUT) {
    throw new Sse3Error('KEY_FORMAT', `${source} holds more than ${MAX_KEY_INPUT} bytes, far too much for a 32-byte key`);
  }
  const { key, format } = parseImportedKey(content, source, opts.format);
  const where = formatKeyRef(ref);
  const store = () => storeKey(ref, key, undefined, 'raw', 'keys import');
  if (ref.kind === 'keychain') await withSpinner(out, `storing the key in the keychain as ${ref.name}`, store);
  else await store();
  if (othersCanRead) out.warn(`${source} can be read by group or others; once the key is safe at ${where}, remove it (or chmod 600 it)`);
  out.show(renderKeyImported(out, { ref: where, kind: ref.kind, fingerprint: key.fingerprint, keyDir: sse3Paths().keyDir, format }));
}
