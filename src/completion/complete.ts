import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { looksLikeKey } from '../keys/likeness.js';
import { isPrintable } from '../output/printable.js';
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

type ArgKind = 'keyref' | 'local' | 's3' | 'any' | 'shell' | 'fingerprint';

/** What each positional argument of a command is, in order (the tests' key-echo sweep fills command lines by it too). */
export const ARGUMENT_KINDS: Record<string, ArgKind[]> = {
  'keygen': ['keyref'],
  'keys import': ['keyref'],
  'keys export': ['keyref'],
  'keys rm': ['keyref'],
  'keys usage': ['fingerprint', 's3', 's3', 's3'],
  'keys default': ['keyref', 's3'],
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
  'manifest pull': ['s3'],
  'manifest import': ['local'],
  'completion': ['shell'],
};

/** Option values by flag; "COMMAND FLAG" first, for a flag that means something else in one command. */
const OPTION_VALUE_KINDS: Record<string, ArgKind> = {
  'keys import --from': 'local',
  '--key': 'keyref', '-k': 'keyref', '--source-key': 'keyref', '--to': 'keyref', '--from': 'keyref', '--ca-bundle': 'local',
  '--fingerprint': 'fingerprint',
};

/** The current (last) word of a command line as a shell reads it, and how it was typed. */
export interface ShellWords {
  /** Every word before the current one, with quotes and backslashes removed. */
  words: string[];
  /** The current word's value ('' after a space). */
  current: string;
  /** The current word as typed. */
  raw: string;
  /** The quote still open at the end of the line, if any, where it opens in raw, and the value typed before it. */
  open?: { quote: "'" | '"'; at: number; before: string };
}

/** Split a command line (up to the cursor) into words as bash, zsh and fish do: quotes and backslashes. */
export function shellWords(line: string): ShellWords {
  const words: string[] = [];
  let value = '';
  let start = -1;
  let quote: "'" | '"' | undefined;
  let open: ShellWords['open'];
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (start === -1) {
      if (/\s/.test(ch)) continue;
      start = i;
    }
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else value += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1])) value += line[++i];
      else value += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      open = { quote: ch, at: i - start, before: value };
    } else if (ch === '\\') {
      if (i + 1 < line.length) value += line[++i];
    } else if (/\s/.test(ch)) {
      words.push(value);
      value = '';
      start = -1;
    } else {
      value += ch;
    }
  }
  return { words, current: value, raw: start === -1 ? '' : line.slice(start), ...(quote && open ? { open } : {}) };
}

/** A value as bash reads it back unquoted: every character the shell treats specially escaped (not ~, kept for ~/). */
const bashEscape = (v: string) => v.replace(/[\s'"\\$`!&*?()[\]{}<>|;#]/g, (c) => (c === '\n' ? "$'\\n'" : `\\${c}`));

/** A value inside an open quote of bash: single quotes cannot hold ', so it is closed, escaped, reopened. */
const insideQuote = (v: string, quote: "'" | '"') =>
  quote === "'" ? v.replace(/'/g, "'\\''") : v.replace(/["\\$`]/g, (c) => `\\${c}`);

/**
 * A candidate as bash must insert it in place of the current word: escaped as the word was typed (backslashes, or
 * inside the quote the user opened, which readline closes itself). `cur` is what bash counts as the word (it splits
 * at ':' and '='): the part of the word before it is already on the line and is left out.
 */
export function bashCandidate(c: string, typed: ShellWords, cur: string | undefined, finished: boolean): string {
  // A word that is only the colon (or =) bash split at: bash lists it as a word of its own, but readline completes the
  // empty text after it, and would keep the colon twice (s3: → s3:://).
  if (cur === ':' || cur === '=') cur = '';
  let out: string;
  if (typed.open && c.startsWith(typed.open.before)) {
    out = typed.raw.slice(0, typed.open.at) + typed.open.quote + insideQuote(c.slice(typed.open.before.length), typed.open.quote);
  } else {
    out = bashEscape(c) + (finished ? ' ' : '');
  }
  if (cur !== undefined && typed.raw.endsWith(cur)) {
    const before = typed.raw.slice(0, typed.raw.length - cur.length);
    if (out.startsWith(before)) out = out.slice(before.length);
  }
  return out;
}

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
  const { completeObjectPaths } = await import('../manifest/completion.js');
  return completeObjectPaths(sse3Paths().manifestFile, word.startsWith('s3://') ? word : 's3://');
}

async function valuesFor(kind: ArgKind, word: string, commandPath: string): Promise<string[]> {
  switch (kind) {
    // A key is stored in (or removed from) a file or the keychain, never a variable.
    case 'keyref': return keyRefs(word, ['keygen', 'keys import', 'keys rm'].includes(commandPath));
    case 'local': return word === '-' ? ['-'] : localPaths(word);
    case 's3': return s3Paths(word);
    case 'any': return word.startsWith('s3://') || (word !== '' && 's3://'.startsWith(word)) ? s3Paths(word) : localPaths(word);
    case 'shell': return ['bash', 'zsh', 'fish'].filter((s) => s.startsWith(word));
    case 'fingerprint': return recordedFingerprints(word);
  }
}

/** Fingerprints the manifest records (rotate --fingerprint). */
async function recordedFingerprints(word: string): Promise<string[]> {
  const { completeFingerprints } = await import('../manifest/completion.js');
  return completeFingerprints(sse3Paths().manifestFile, word);
}

/**
 * Candidates (values, unescaped) for the last word of a command line (everything up to the cursor). A word that
 * looks like a key gets none: it is never printed back, not even completed. A name with a control or invisible
 * character is not offered: the shells read one candidate per line, and would show its escape sequences raw.
 */
export async function complete(line: string, spec: CommandSpec): Promise<string[]> {
  return (await candidatesFor(line, spec)).filter(isPrintable);
}

async function candidatesFor(line: string, spec: CommandSpec): Promise<string[]> {
  const { words, current: cur } = shellWords(line);
  if (looksLikeKey(cur)) return [];
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
  const kind = ARGUMENT_KINDS[commandPath]?.[positional];
  return kind ? valuesFor(kind, cur, commandPath) : [];
}

/**
 * Entry point of `sse3 __complete SHELL`, the line (everything up to the cursor) in SSE3_COMPLETE_LINE and, for bash,
 * the part of the word it will replace in SSE3_COMPLETE_CUR — in the environment, which only the user can read,
 * rather than as arguments, which ps shows to everyone (scripts of earlier versions pass them as arguments: LINE
 * [CUR]). One candidate per line. zsh and fish get values and quote them themselves; bash inserts exactly what it is
 * given, so it gets them escaped, with a space after a finished word (none after a folder or a ref prefix).
 */
export async function runCompletion(args: string[], specFile: URL, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [shell, line = env.SSE3_COMPLETE_LINE ?? '', cur = env.SSE3_COMPLETE_CUR] = args;
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as CommandSpec;
  const candidates = await complete(line, spec);
  const finished = (c: string) => !/[/:]$/.test(c);
  const typed = shellWords(line);
  const out = shell === 'bash' ? candidates.map((c) => bashCandidate(c, typed, cur, finished(c))) : candidates;
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
  return 0;
}
