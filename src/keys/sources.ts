import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Sse3Error } from '../errors.js';
import { decodeBase64Key, type KeyImportFormat, parseEnvKey, parseKeyFileContent, SseCKey } from './key.js';
import { encodeKey } from './encode.js';
import { looksLikeKey, shown } from './likeness.js';
import { takeEnvKey } from './env.js';
import { type Keychain, OsKeychain } from './keychain.js';
import { localIoError, makeFolders } from '../local/files.js';
import { currentUid, describeMe, describeUser, ownedByMe } from '../local/owner.js';

/** Where a key lives. The key itself never appears on the command line. */
export type KeyRef =
  | { kind: 'file'; path: string }
  | { kind: 'env'; name: string }
  | { kind: 'keychain'; name: string };

const REF_HINT = 'a key reference is file:PATH, env:VAR or keychain:NAME';

const EXPOSED_HINT = 'consider that key exposed: make a new one (sse3 keygen keychain:NAME), keep keys in a file, env var or keychain, ' +
  'and pass file:PATH, env:VAR or keychain:NAME';

export function parseKeyRef(text: string): KeyRef {
  // Checked before anything that would quote the text back: a key pasted as (or into) a reference must not be printed.
  if (looksLikeKey(text)) {
    const m = /^(file|env|keychain):/.exec(text);
    throw new Sse3Error('USAGE', m
      ? `that ${m[1]}: reference holds what looks like a key itself: keys are never taken from the command line (other users can read it with ps)`
      : 'that looks like a key itself: keys are never taken from the command line (other users can read it with ps)', EXPOSED_HINT);
  }
  const m = /^(file|env|keychain):(.+)$/s.exec(text);
  if (!m) throw new Sse3Error('USAGE', `not a key reference: ${shown(text)}`, REF_HINT);
  const [, kind, value] = m;
  if (kind === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new Sse3Error('USAGE', `not an environment variable name: ${shown(value)}`, REF_HINT);
  }
  // A shell expands ~ only at the start of a word, never after "file:".
  if (kind === 'file') return { kind, path: value.startsWith('~/') ? join(homedir(), value.slice(2)) : value };
  if (kind === 'env') return { kind, name: value };
  return { kind: 'keychain', name: value };
}

export function formatKeyRef(ref: KeyRef): string {
  return ref.kind === 'file' ? `file:${ref.path}` : `${ref.kind}:${ref.name}`;
}

export interface KeyContext {
  env: NodeJS.ProcessEnv;
  keychain: Keychain;
}

export const defaultKeyContext = (): KeyContext => ({ env: process.env, keychain: new OsKeychain() });

/**
 * Refuse key files other users could read or could have written, as ssh does for private keys: the file must be the
 * user's own (another user's file, even 0600, is a key they chose, e.g. planted in /tmp) and closed to group and others.
 */
async function readKeyFile(path: string): Promise<SseCKey> {
  const source = `key file ${path}`;
  // Checked before opening: opening a FIFO or device would block or read something that is not a key file.
  const st = await fs.stat(path).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' && await fs.lstat(path).then(() => true, () => false)) {
      throw new Sse3Error('KEY_FILE', `${source} is a symbolic link to a file that does not exist`,
        `point it at the key file, or remove it and create a key with: sse3 keygen file:${path}`);
    }
    return undefined;
  });
  if (st && !st.isFile()) {
    throw new Sse3Error('KEY_FILE', `${source} is not a regular file`, 'a key file holds 32 raw bytes or their base64');
  }
  let handle;
  try {
    handle = await fs.open(path, constants.O_RDONLY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Sse3Error('KEY_FILE', `${source} does not exist`, `create one with: sse3 keygen file:${path}`);
    if (code === 'EACCES') throw new Sse3Error('KEY_FILE', `${source} cannot be read (permission denied)`, 'run sse3 as the key file\'s owner');
    throw new Sse3Error('KEY_FILE', `${source} cannot be opened: ${code ?? e}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Sse3Error('KEY_FILE', `${source} is not a regular file`);
    if (!ownedByMe(st)) {
      throw new Sse3Error('KEY_FILE', `${source} is owned by ${describeUser(st.uid)}, not by ${describeMe()}; refusing to use it ` +
        '(whoever owns a key file chooses the key)',
      `if you made that key, make the file yours (as root: chown ${currentUid()} ${path}); otherwise use a key of your own`);
    }
    if ((st.mode & 0o077) !== 0) {
      throw new Sse3Error('KEY_FILE',
        `${source} is accessible by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); refusing to use it`,
        `run: chmod 600 ${path}`);
    }
    if (st.size > 4096) throw new Sse3Error('KEY_FORMAT', `${source} is ${st.size} bytes, far too large for a 32-byte key`);
    return parseKeyFileContent(await handle.readFile(), source);
  } finally {
    await handle.close();
  }
}

export async function loadKey(ref: KeyRef, ctx: KeyContext = defaultKeyContext()): Promise<SseCKey> {
  switch (ref.kind) {
    case 'file':
      return readKeyFile(ref.path);
    case 'env': {
      const value = takeEnvKey(ctx.env, ref.name);
      if (value === undefined) {
        throw new Sse3Error('KEY_ENV', `environment variable ${ref.name} is not set`,
          `export ${ref.name} with the base64 of a 32-byte key, e.g. from: sse3 keygen file:PATH`);
      }
      return parseEnvKey(value, `environment variable ${ref.name}`);
    }
    case 'keychain': {
      const value = await ctx.keychain.get(ref.name);
      if (value === null) {
        throw new Sse3Error('KEYCHAIN', `no keychain entry ${shown(ref.name)} (service sse3)`,
          `create it with: sse3 keygen keychain:${ref.name}`);
      }
      return decodeBase64Key(value, `keychain entry ${ref.name}`);
    }
  }
}

/** How a key file is written: keygen makes raw or base64 ones; keys export any form keys import reads. */
export type KeyFileFormat = KeyImportFormat;

/**
 * Create a new key from the OS CSPRNG and store it at ref. Never overwrites:
 * replacing a key file or keychain entry would orphan every object it encrypted.
 */
export async function generateKey(ref: KeyRef, ctx: KeyContext = defaultKeyContext(),
  format: KeyFileFormat = 'raw'): Promise<SseCKey> {
  const key = new SseCKey(randomBytes(32), formatKeyRef(ref));
  await storeKey(ref, key, ctx, format, 'keygen');
  return key;
}

/**
 * Store a key at ref: a file created 0600 with O_EXCL (its folder 0700), or a keychain entry. Never overwrites, for
 * the same reason as keygen; `verb` names the command in the message for env:.
 */
export async function storeKey(ref: KeyRef, key: SseCKey, ctx: KeyContext = defaultKeyContext(),
  format: KeyFileFormat = 'raw', verb = 'keygen'): Promise<void> {
  switch (ref.kind) {
    case 'env':
      throw new Sse3Error('USAGE', `env: cannot be a ${verb} target (sse3 cannot set variables in your shell)`,
        `store the key in a file or the keychain: sse3 ${verb} file:PATH | keychain:NAME`);
    case 'file': {
      // Encoded first: a form the key has not (text) is refused before any file is made.
      const content = encodeKey(key, format);
      await makeFolders(dirname(ref.path), 0o700);
      let handle;
      try {
        handle = await fs.open(ref.path, 'wx', 0o600);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          throw new Sse3Error('KEY_EXISTS', `${ref.path} already exists; sse3 never overwrites a key file`,
            'choose another path (objects encrypted with the existing key would be lost without it)');
        }
        throw localIoError(e, 'creating', ref.path);
      }
      try {
        await handle.writeFile(content);
        await handle.sync();
      } catch (e) {
        // A half-written key file must not stay behind to be taken for a key.
        await handle.close().catch(() => undefined);
        await fs.unlink(ref.path).catch(() => undefined);
        throw localIoError(e, 'writing', ref.path);
      }
      await handle.close();
      return;
    }
    case 'keychain': {
      if ((await ctx.keychain.get(ref.name)) !== null) {
        throw new Sse3Error('KEY_EXISTS', `keychain entry ${shown(ref.name)} already exists; sse3 never overwrites a key`,
          'choose another name');
      }
      await ctx.keychain.set(ref.name, key.exportBase64());
    }
  }
}

/** A key sse3 can find without being told, with the ref that names it. */
export interface KnownKey {
  ref: string;
  key: SseCKey;
}

export interface DiscoveryReport {
  found?: SseCKey;
  /** Sources that could not be used, in words, for the "no key" error. */
  problems: string[];
}

/**
 * Every key sse3 knows, cheapest source first: SSE3_KEY, key files in the key
 * folder, then keychain entries of service sse3. Stops early when `want`
 * (a fingerprint) is found; `complete` says whether every source was read.
 */
/** A source that could not be used, in words: the reason, and what to do about it (chmod 600 PATH, unlock…) with it. */
const inWords = (e: unknown): string => (e instanceof Sse3Error && e.hint ? `${e.message}: ${e.hint}` : (e as Error).message);

export async function discoverKeys(keyDir: string, ctx: KeyContext, want?: string)
  : Promise<{ keys: KnownKey[]; problems: string[]; complete: boolean }> {
  const keys: KnownKey[] = [];
  const problems: string[] = [];
  const hit = () => want !== undefined && keys.some((k) => k.key.fingerprint === want);

  if (takeEnvKey(ctx.env, 'SSE3_KEY') !== undefined) {
    try {
      keys.push({ ref: 'env:SSE3_KEY', key: await loadKey({ kind: 'env', name: 'SSE3_KEY' }, ctx) });
    } catch (e) {
      problems.push(`SSE3_KEY: ${inWords(e)}`);
    }
    if (hit()) return { keys, problems, complete: false };
  }

  let names: string[] = [];
  try {
    names = (await fs.readdir(keyDir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`key folder ${keyDir}: ${inWords(e)}`);
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(keyDir, name);
    try {
      keys.push({ ref: `file:${path}`, key: await readKeyFile(path) });
    } catch (e) {
      problems.push(inWords(e));
    }
    if (hit()) return { keys, problems, complete: false };
  }

  try {
    for (const entry of await ctx.keychain.list()) {
      try {
        keys.push({ ref: `keychain:${entry.name}`, key: decodeBase64Key(entry.value, `keychain entry ${entry.name}`) });
      } catch (e) {
        problems.push(inWords(e));
      }
    }
  } catch (e) {
    // The keychain as a whole could not be read (locked, no Secret Service).
    problems.push(inWords(e));
  }
  return { keys, problems, complete: true };
}

export async function findKeyByFingerprint(fingerprint: string, keyDir: string, ctx: KeyContext): Promise<DiscoveryReport> {
  const { keys, problems } = await discoverKeys(keyDir, ctx, fingerprint);
  return { found: keys.find((k) => k.key.fingerprint === fingerprint)?.key, problems };
}
