// The key-echo sweep's cases: a key-shaped value in every argument position and option value of every command, taken
// from the Commander program itself, so a new command or option is swept without anyone adding it here. Shared by the
// fast in-process part (test/unit/key-echo.test.ts: what the command line parser says) and the sweep of the built
// binary (test/reliability/key-echo.test.ts: what every command says).
import { randomBytes } from 'node:crypto';
import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { buildProgram } from '../../src/cli/program.js';
import { ARGUMENT_KINDS } from '../../src/completion/complete.js';

/** The ways a key is written down that sse3 documents. */
export const ENCODINGS = ['text', 'base64', 'base64url', 'hex'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Where in a word the key sits: the whole word, a segment of an s3:// URL, a path component, a URL path segment. */
export const FORMS = ['bare', 's3-key', 's3-bucket', 'path', 'https'] as const;
export type Form = (typeof FORMS)[number];

export interface Secret {
  /** The text typed on the command line. */
  value: string;
  /** The raw key it stands for (a text secret's key is its own bytes). */
  raw: Buffer;
}

/**
 * A fresh key-shaped value. A text secret is what `openssl rand -base64 24` makes; inside a longer word (a URL, a path)
 * it has no "/", which would make it two segments, not one.
 */
export function freshSecret(encoding: Encoding, inside: boolean): Secret {
  for (;;) {
    const raw = randomBytes(encoding === 'text' ? 24 : 32);
    if (encoding !== 'text') {
      const value = raw.toString(encoding);
      // Random bytes whose hex has no letter would be no test of anything: never in practice, but cheap to rule out.
      if (/[a-f]/.test(value)) return { value, raw };
      continue;
    }
    const value = inside ? raw.toString('base64').replaceAll('/', '+') : raw.toString('base64');
    if (/[a-z]/.test(value) && /[A-Z]/.test(value)) return { value, raw: Buffer.from(value) };
  }
}

/** Every way the value may show up in output, as the harness scans for it: the text itself and its key's encodings. */
export function traces(s: Secret): string[] {
  const raw = s.raw;
  return [...new Set([s.value, raw.toString('base64').replace(/=+$/, ''), raw.toString('base64url'), raw.toString('hex'),
    raw.toString('hex').toUpperCase(), raw.toString('latin1')])];
}

/** A word holding the value in the given form. */
export function placed(form: Form, value: string): string {
  switch (form) {
    case 'bare': return value;
    case 's3-key': return `s3://sse3-sweep-bucket/dir/${value}/f`;
    case 's3-bucket': return `s3://${value}/f`;
    case 'path': return `dir/${value}/f`;
    case 'https': return `https://127.0.0.1:1/${value}`;
  }
}

/** What fills the other places of a command line so that it gets past them: real files, a key, a bucket. */
export interface Fillers {
  keyRef: string;
  /** A new key file's reference (keygen, keys import). */
  newKeyRef: string;
  file: string;
  folder: string;
  s3: string;
}

/**
 * The argument kinds of shell completion say what each operand is; a few commands need more than the kind says (cp and
 * sync take a local side first; alias takes endpoints). A command with neither gets an s3:// URL.
 */
function operandFiller(path: string, index: number, f: Fillers): string {
  const special: Record<string, string[]> = { 'cp': [f.file, f.s3], 'sync': [f.folder, f.s3],
    'manifest alias': ['https://127.0.0.1:2', 'https://127.0.0.1:3'] };
  if (special[path]) return special[path][index];
  switch (ARGUMENT_KINDS[path]?.[index]) {
    case 'keyref': return f.newKeyRef;
    case 'local': return f.file;
    case 'shell': return 'bash';
    case 'fingerprint': return f.s3;
    default: return f.s3;
  }
}

/** Options a command cannot run without. */
function requiredOptions(path: string, f: Fillers): Array<[string, string]> {
  const needed: Record<string, Array<[string, string]>> = { 'put': [['--key', f.keyRef]], 'cp': [['--key', f.keyRef]],
    'sync': [['--key', f.keyRef]], 'rotate': [['--to', f.keyRef]], 'keys import': [['--from', f.file]] };
  return needed[path] ?? [];
}

export interface Position {
  /** What the position is, e.g. "get <dst>", "put --key", "ls --endpoint-url". */
  label: string;
  /** The command line with the word at this position. */
  args: (word: string) => string[];
  /** Positions that name an option take only a bare value (an option name is no URL). */
  bareOnly?: boolean;
  /**
   * A position whose word every command hands to the same code (global options, unknown options): swept in one form
   * per command, the forms going round over the commands, rather than in every form for every command.
   */
  shared?: boolean;
}

const takesValue = (o: Option) => o.required || o.optional;
const optionName = (o: Option) => o.long ?? o.short!;

/** Commands as --help lists them (hidden ones left out), with their command paths. */
function leafCommands(cmd: CommandUnknownOpts, path: string[] = []): Array<{ path: string[]; cmd: CommandUnknownOpts }> {
  const visible = cmd.createHelp().visibleCommands(cmd).filter((c) => cmd.commands.includes(c));
  const own = cmd.commands.length === 0 ? [{ path, cmd }] : [];
  return [...own, ...visible.flatMap((c) => leafCommands(c, [...path, c.name()]))];
}

/** Every place a user can type a word into, for every command of the program. */
export function positions(f: Fillers): Position[] {
  const program = buildProgram(() => undefined) as unknown as CommandUnknownOpts;
  const globals = program.options.filter(takesValue);
  const out: Position[] = [
    { label: 'command name', args: (w) => [w] },
    { label: 'command name, then a word', args: (w) => [w, 'extra'] },
  ];
  for (const { path, cmd } of leafCommands(program)) {
    const name = path.join(' ');
    const operands = cmd.registeredArguments.map((_, i) => operandFiller(name, i, f));
    const required = requiredOptions(name, f);
    const line = (words: string[], skip?: string) => [...path, ...words,
      ...required.filter(([flag]) => flag !== skip).flat()];
    cmd.registeredArguments.forEach((a, i) => {
      out.push({ label: `${name} <${a.name()}>`, args: (w) => line(operands.map((o, j) => (j === i ? w : o))) });
    });
    out.push({ label: `${name} (a further operand)`, args: (w) => line([...operands, w]) });
    for (const o of cmd.options.filter(takesValue)) {
      out.push({ label: `${name} ${optionName(o)}`, args: (w) => line([...operands, optionName(o), w], optionName(o)) });
    }
    for (const o of globals) {
      out.push({ label: `${name} ${optionName(o)}`, args: (w) => line([...operands, optionName(o), w]), shared: true });
    }
    out.push({ label: `${name} --unknown=VALUE`, args: (w) => line([...operands, `--no-such-option=${w}`]), shared: true });
    out.push({ label: `${name} --VALUE`, args: (w) => line([...operands, `--${w}`]), bareOnly: true });
  }
  return out;
}

export interface EchoCase {
  label: string;
  args: string[];
  secret: Secret;
  encoding: Encoding;
  form: Form;
}

/** The forms a position is swept in: all of them, or for a shared position one, going round with its index. */
function formsOf(p: Position, i: number): readonly Form[] {
  if (p.bareOnly) return ['bare'];
  return p.shared ? [FORMS[i % FORMS.length]] : FORMS;
}

/**
 * Every position in its forms, each with a fresh value; the encodings go round so that each position of a command
 * meets all four (five forms) and each form meets every encoding across the positions.
 */
export function sweepCases(f: Fillers, remember: (s: Secret) => void): EchoCase[] {
  const cases: EchoCase[] = [];
  let shared = 0;
  positions(f).forEach((p, i) => {
    formsOf(p, p.shared ? shared++ : i).forEach((form, j) => {
      const encoding = ENCODINGS[(i + j) % ENCODINGS.length];
      const secret = freshSecret(encoding, form !== 'bare');
      remember(secret);
      cases.push({ label: `${p.label} ← ${encoding} as ${form}`, args: p.args(placed(form, secret.value)), secret, encoding, form });
    });
  });
  return cases;
}
