import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { sse3Paths } from '../paths.js';

/**
 * Shell completion answers. Runs on every TAB, so it loads neither Commander
 * nor the AWS SDK: the command tree comes from a JSON spec written at build
 * time from the real Commander program, and s3:// paths from the manifest.
 */
export interface OptionSpec {
  flags: string[];
  takesValue: boolean;
  choices?: string[];
}
export interface CommandSpec {
  name: string;
  options: OptionSpec[];
  commands: CommandSpec[];
}

type ArgKind = 'keyref' | 'local' | 's3' | 'any' | 'shell';

/** What each positional argument of a command is, in order. */
const ARG_KINDS: Record<string, ArgKind[]> = {
  'keygen': ['keyref'],
  'keys import': ['keyref'],
  'adopt': ['s3'],
  'ls': ['s3'],
  'rm': ['s3'],
  'put': ['local', 's3'],
  'get': ['s3', 'local'],
  'head': ['s3'],
  'cp': ['any', 'any'],
  'sync': ['any', 'any'],
  'rotate': ['s3'],
  'verify': ['s3'],
  'manifest list': ['s3'],
  'manifest rebuild': ['s3'],
  'manifest import': ['local'],
  'completion': ['shell'],
};

/** Option values by flag; "COMMAND FLAG" first, for a flag that means something else in one command. */
const OPTION_VALUE_KINDS: Record<string, ArgKind> = {
  'keys import --from': 'local',
  '--key': 'keyref', '-k': 'keyref', '--source-key': 'keyref', '--to': 'keyref', '--from': 'keyref', '--ca-bundle': 'local',
};

function localPaths(word: string, prefix = ''): string[] {
  const dir = word.endsWith('/') ? word : dirname(word) === '.' && !word.startsWith('./') ? '' : dirname(word) + '/';
  const base = word.slice(dir.length);
  const expanded = dir.startsWith('~/') ? join(homedir(), dir.slice(2)) + '/' : dir;
  try {
    return readdirSync(expanded || '.', { withFileTypes: true })
      .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
      .map((e) => `${prefix}${dir}${e.name}${e.isDirectory() ? '/' : ''}`)
      .sort();
  } catch {
    return [];
  }
}

async function keychainNames(): Promise<string[]> {
  try {
    const { findCredentialsAsync } = await import('@napi-rs/keyring');
    return (await findCredentialsAsync('sse3')).map((c) => c.account).sort();
  } catch {
    return []; // no keychain here: nothing to offer
  }
}

async function keyRefs(word: string, keygen: boolean): Promise<string[]> {
  if (word.startsWith('file:')) return localPaths(word.slice(5), 'file:');
  if (word.startsWith('env:') && !keygen) {
    return Object.keys(process.env).filter((n) => `env:${n}`.startsWith(word)).sort().map((n) => `env:${n}`);
  }
  if (word.startsWith('keychain:')) return (await keychainNames()).map((n) => `keychain:${n}`).filter((r) => r.startsWith(word));
  return (keygen ? ['file:', 'keychain:'] : ['file:', 'env:', 'keychain:']).filter((p) => p.startsWith(word));
}

/** s3:// paths recorded in the manifest; SQLite is loaded only for this kind of answer. */
async function s3Paths(word: string): Promise<string[]> {
  const { completeObjectPaths } = await import('../manifest/store.js');
  return completeObjectPaths(sse3Paths().manifestFile, word.startsWith('s3://') ? word : 's3://');
}

async function valuesFor(kind: ArgKind, word: string, commandPath: string): Promise<string[]> {
  switch (kind) {
    case 'keyref': return keyRefs(word, commandPath === 'keygen' || commandPath === 'keys import');
    case 'local': return word === '-' ? ['-'] : localPaths(word);
    case 's3': return s3Paths(word);
    case 'any': return word.startsWith('s3://') || (word !== '' && 's3://'.startsWith(word)) ? s3Paths(word) : localPaths(word);
    case 'shell': return ['bash', 'zsh', 'fish'].filter((s) => s.startsWith(word));
  }
}

/** Candidates for the last word of a command line (everything up to the cursor). */
export async function complete(line: string, spec: CommandSpec): Promise<string[]> {
  const words = line.trim() === '' ? [] : line.trim().split(/\s+/);
  const cur = /\s$/.test(line) || words.length === 0 ? '' : words.pop()!;
  if (words.length && /(^|\/)sse3(\.js)?$/.test(words[0])) words.shift();

  let node = spec;
  const path: string[] = [];
  let options = [...spec.options];
  let positional = 0;
  let pendingValue: OptionSpec | undefined;
  for (const w of words) {
    if (pendingValue) { pendingValue = undefined; continue; }
    if (w.startsWith('-')) {
      const name = w.split('=')[0];
      const opt = options.find((o) => o.flags.includes(name));
      if (opt?.takesValue && !w.includes('=')) pendingValue = opt;
      continue;
    }
    const sub = node.commands.find((c) => c.name === w);
    if (sub && positional === 0) {
      node = sub;
      path.push(w);
      options = [...options, ...sub.options];
      continue;
    }
    positional++;
  }
  const commandPath = path.join(' ');
  if (pendingValue) {
    if (pendingValue.choices) return pendingValue.choices.filter((c) => c.startsWith(cur));
    const kind = pendingValue.flags.map((f) => OPTION_VALUE_KINDS[`${commandPath} ${f}`] ?? OPTION_VALUE_KINDS[f]).find(Boolean);
    return kind ? valuesFor(kind, cur, commandPath) : [];
  }
  if (cur.startsWith('-')) {
    return [...new Set(options.flatMap((o) => o.flags.filter((f) => f.startsWith('--'))))].filter((f) => f.startsWith(cur)).sort();
  }
  if (node.commands.length && positional === 0) {
    return node.commands.map((c) => c.name).filter((n) => n.startsWith(cur) && n !== 'help').sort();
  }
  const kind = ARG_KINDS[commandPath]?.[positional];
  return kind ? valuesFor(kind, cur, commandPath) : [];
}

/** Entry point of `sse3 __complete SHELL LINE`: one candidate per line. */
export async function runCompletion(args: string[], specFile: URL): Promise<number> {
  const [shell, line = ''] = args;
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as CommandSpec;
  const candidates = await complete(line, spec);
  // bash inserts exactly what we print: a space ends a finished word, none after a folder or a ref prefix.
  const finished = (c: string) => !/[/:]$/.test(c);
  process.stdout.write(candidates.map((c) => (shell === 'bash' && finished(c) ? `${c} ` : c)).join('\n') + (candidates.length ? '\n' : ''));
  return 0;
}
