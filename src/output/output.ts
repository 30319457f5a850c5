import { ExitCode, Sse3Error } from '../errors.js';
import { NOT_SHOWN, typedKeysPattern } from '../keys/likeness.js';
import { LINE_BREAK, styles, type Styles, terminalText, unstyled } from './terminal.js';

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  /** false when --no-color was given. */
  color?: boolean;
  debug?: boolean;
  /**
   * The words the user typed (the command line). What looks like a key in them is never written, in any output
   * (results, JSON, messages, bars): the messages that quote a value leave it out already, and this holds for the rest.
   */
  typed?: readonly string[];
}

/**
 * Colour level for a stream: --no-color and NO_COLOR switch it off,
 * FORCE_COLOR switches it on (even when piped), otherwise only a TTY gets colour.
 */
export function colorLevel(flag: boolean | undefined, isTTY: boolean, env: NodeJS.ProcessEnv): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    const n = Number(force);
    return n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1;
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  return /truecolor|24bit/.test(env.COLORTERM ?? '') ? 3 : /256/.test(env.TERM ?? '') ? 2 : 1;
}

/**
 * What a human line is; it decides where the line goes and whether -q keeps it, the same for every command:
 * - `result`: what the command was asked to show (ls rows, keys list, head, keys usage, a dry run's plan): stdout, kept by -q;
 * - `done`: a ✓ line confirming work (put, get, rotate, each item of a batch): stdout, dropped by -q;
 * - `failure`: a ✗ line, an object or version that failed: stderr, always (-q never hides a failure);
 * - `note`: a summary, "nothing to do", what was settled on the way: stderr, dropped by -q.
 * Results and ✓ lines move to stderr when stdout carries object data (get -). With --json none of this applies.
 */
export type LineKind = 'result' | 'done' | 'failure' | 'note';

/** Lines -q leaves out: progress is not a line; a failure and what the command was asked to show are never left out. */
const QUIET_DROPS: ReadonlySet<LineKind> = new Set(['done', 'note']);

/**
 * A failure line names the object once: the label ("s3://b/k", a path, "s3://b/k (version V)") unless the message
 * already names it.
 */
export function failureText(label: string, message: string): string {
  if (message.includes(label)) return message;
  const version = / \(version [^)]*\)$/.exec(label);
  if (version && message.includes(label.slice(0, version.index))) return `${message}${version[0]}`;
  return `${label}: ${message}`;
}

/**
 * The only place that writes to the terminal. Data and results go to stdout
 * (results move to stderr when stdout carries data); messages go to stderr.
 * Colour is decided for each stream on its own: `sse3 manifest list > file` on a
 * terminal keeps colour in the messages on the terminal and none in the file.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly debug: boolean;
  /** Spinners and bars only for a human watching stderr. */
  readonly interactive: boolean;
  /** Set when stdout carries object data, so results must not be mixed into it. */
  stdoutIsData = false;
  /** Set while a batch runs: its bars replace the single-transfer bar. */
  batch?: import('./progress.js').BatchProgress;
  /** Colours for human text (terminal.ts): none until init() finds a stream that shows them. */
  c: Styles = unstyled;
  readonly #stdout: NodeJS.WriteStream;
  readonly #stderr: NodeJS.WriteStream;
  /** carry()'s fields. */
  #carried: Record<string, unknown> = {};
  readonly #colorFlag?: boolean;
  /** Streams that get no colour: human text is written to them without escape codes. */
  readonly #plain = new Set<NodeJS.WriteStream>();
  /** The key-shaped parts of what the user typed (see OutputOptions.typed), or none. */
  readonly #typedKeys?: RegExp;

  constructor(opts: OutputOptions, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr) {
    this.json = Boolean(opts.json);
    this.quiet = Boolean(opts.quiet);
    this.debug = Boolean(opts.debug);
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.#colorFlag = opts.color;
    this.#typedKeys = typedKeysPattern(opts.typed ?? []);
    this.interactive = Boolean(stderr.isTTY) && !this.quiet && !this.json && process.env.TERM !== 'dumb';
  }

  get stderr(): NodeJS.WriteStream {
    return this.#stderr;
  }

  /** Which stream gets colour, decided once. */
  async init(): Promise<this> {
    for (const stream of [this.#stdout, this.#stderr]) {
      if (colorLevel(this.#colorFlag, Boolean(stream.isTTY), process.env) === 0) this.#plain.add(stream);
    }
    if (this.#plain.size < 2) this.c = styles;
    return this;
  }

  /** Text as it may be shown: without what looks like a key in the words the user typed. */
  redacted(text: string): string {
    return this.#typedKeys ? text.replace(this.#typedKeys, NOT_SHOWN) : text;
  }

  /** Everything but object data is written here. */
  #emit(stream: NodeJS.WriteStream, text: string): void {
    stream.write(this.redacted(text));
  }

  /**
   * Human text for a stream as the terminal is to show it: what looks like a typed key left out, every non-printable
   * character of a name escaped, colour only where the stream takes it (terminal.ts).
   */
  #write(stream: NodeJS.WriteStream, text: string): void {
    stream.write(this.#shown(stream, text));
  }

  #shown(stream: NodeJS.WriteStream, text: string): string {
    return terminalText(this.redacted(text), !this.#plain.has(stream));
  }

  /** Human text for stderr's bars, spinners and lines above them, as #write makes it. */
  terminal(text: string): string {
    return this.#shown(this.#stderr, text);
  }

  /** Where JSON lines go: stdout, or stderr once stdout carries object data (get -). */
  get #jsonStream(): NodeJS.WriteStream {
    return this.stdoutIsData ? this.#stderr : this.#stdout;
  }

  /** One line of the JSON contract (contractLine), where JSON lines go. */
  #jsonLine(json: unknown): void {
    this.#emit(this.#jsonStream, contractLine(json));
  }

  /**
   * Fields every closing line of this run carries in JSON (a command's result, a batch's summary): what the run
   * covered, such as its --shard, so a line read alone still says which part of the work it reports.
   */
  carry(fields: Record<string, unknown>): void {
    this.#carried = { ...this.#carried, ...fields };
  }

  #withCarried(json: unknown): unknown {
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? { ...json, ...this.#carried } : json;
  }

  /** A command's result: human lines of that kind (LineKind), or one compact JSON line with --json. */
  result(human: string | string[], json: unknown, kind: LineKind = 'result'): void {
    if (this.json) return this.#jsonLine(this.#withCarried(json));
    this.say(human, kind);
  }

  /** A rendered human-only line (what was settled on the way): as say() with the kind it gives. */
  tell(r: { line: string | string[]; kind: LineKind }): void {
    this.say(r.line, r.kind);
  }

  /** Human lines only (nothing with --json), to the stream their kind says, unless -q leaves them out (LineKind). */
  say(human: string | string[], kind: LineKind): void {
    if (this.json || (this.quiet && QUIET_DROPS.has(kind))) return;
    const text = (Array.isArray(human) ? human : [human]).join(LINE_BREAK);
    if (kind === 'failure' || kind === 'note') return this.#message(text);
    const stream = this.stdoutIsData ? this.#stderr : this.#stdout;
    // Above the bars, when both share the terminal.
    if (this.batch && stream.isTTY) this.batch.log(text);
    else this.#write(stream, text + LINE_BREAK);
  }

  /** stdout for object data (get -): from now on results go to stderr. */
  dataStream(): NodeJS.WriteStream {
    this.stdoutIsData = true;
    return this.#stdout;
  }

  /** Text that is the command's output as it is (a completion script), on stdout. */
  text(content: string): void {
    this.#emit(this.#stdout, content);
  }

  /** A rendered result (src/output/render.ts): its lines as the kind it says (a result if none), or its JSON with --json. */
  show(r: { line: string | string[]; json: unknown; kind?: LineKind }): void {
    this.result(r.line, r.json, r.kind);
  }

  /**
   * A document that is the command's data whatever the flags (manifest export): pretty JSON on stdout, or, with
   * --json, the same document on one line.
   */
  document(json: unknown): void {
    this.#emit(this.#stdout, this.json ? JSON.stringify(json) + '\n' : JSON.stringify(json, null, 2) + '\n');
  }

  /** One item of a many-result command: its line(s) as `kind` (LineKind), or one JSON line with --json. */
  item(human: string | string[], json: unknown, kind: LineKind = 'result'): void {
    if (this.json) this.#jsonLine(json);
    else this.say(human, kind);
  }

  /**
   * An item that failed: a red line naming it once (above the bars), or with --json its line carrying the same
   * identifying fields as a success would (`ids`: url, bucket, key, versionId, path…; from the label when not given)
   * and the error.
   */
  itemError(label: string, e: Error, ids?: Record<string, unknown>): void {
    if (this.json) this.#jsonLine(itemErrorJson(label, e, ids));
    else this.say(this.failureLine(label, e), 'failure');
  }

  /** The human line of a batch item that failed (failureText). */
  failureLine(label: string, e: Error): string {
    return `${this.c.red('✗')} ${failureText(label, e.message)}`;
  }

  /**
   * The closing line of a many-result command, always printed (nothing in scope included): `{"summary": …}` with
   * --json, whose `ok` says whether the command succeeded as a whole (every item OK); else a note on stderr.
   */
  summary(json: Record<string, unknown> & { ok: boolean }, human: string | string[]): void {
    if (this.json) this.#jsonLine({ summary: this.#withCarried(json) });
    else this.say(human, 'note');
  }

  /** A person can answer a question: stdin and stderr are terminals. */
  get canAsk(): boolean {
    return Boolean(process.stdin.isTTY) && Boolean(this.#stderr.isTTY);
  }

  /** Ask a yes/no question on the terminal; only an explicit yes counts. */
  async confirm(question: string): Promise<boolean> {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: this.#stderr });
    try {
      return /^(y|yes)$/i.test((await rl.question(this.terminal(`${question} [y/N] `))).trim());
    } finally {
      rl.close();
    }
  }

  /** A note on stderr (LineKind): left out by -q and --json. */
  info(message: string): void {
    this.say(message, 'note');
  }

  warn(message: string): void {
    if (!this.quiet) this.#message(`${this.c.yellow('warning:')} ${message}`);
  }

  /** A line on stderr, above the progress bars while they are shown. */
  #message(line: string): void {
    if (this.batch) this.batch.log(line);
    else this.#write(this.#stderr, line + LINE_BREAK);
  }

  /**
   * One red line, a hint line; a stack only with --debug. With --json also the error's JSON line, the last line of
   * the output, where JSON lines go (stderr when stdout carries object data, after the words).
   */
  error(e: unknown): void {
    const err = e instanceof Sse3Error ? e
      : new Sse3Error('S3', `unexpected error: ${(e as Error)?.message ?? String(e)}`,
        'this is a bug in sse3; rerun with --debug and report it');
    this.#write(this.#stderr, `${this.c.red('error:')} ${err.message}${LINE_BREAK}`);
    if (err.hint) this.#write(this.#stderr, `${this.c.dim('hint:')} ${err.hint}${LINE_BREAK}`);
    if (this.debug) {
      const cause = (err.cause ?? (e !== err ? e : undefined)) as Error | undefined;
      this.#emit(this.#stderr, `${(cause ?? err).stack ?? ''}\n`);
    }
    if (this.json) this.#jsonLine({ ok: false, error: errorJson(err) });
  }
}

/** An error as the `error` field of a JSON line: what a script branches on, the same for a command and an item. */
export const errorJson = (e: Error) => e instanceof Sse3Error
  ? { code: e.code, message: e.message, hint: e.hint ?? null, exitCode: e.exitCode }
  : { code: 'S3', message: e.message, hint: null, exitCode: ExitCode.FAILED };

/** What names an item whose line gives no fields of its own: an s3:// URL as url, bucket and key; else a local path. */
export const idsOfLabel = (label: string): Record<string, unknown> => (label.startsWith('s3://') ? objectIds(label) : { path: label });

/** An object's identifying fields from its s3:// URL as sse3 formats it (taken apart without checks: it is sse3's own). */
export function objectIds(url: string): { url: string; bucket: string; key: string } {
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return { url, bucket: slash === -1 ? rest : rest.slice(0, slash), key: slash === -1 ? '' : rest.slice(slash + 1) };
}

/** An item that failed, as its JSON line: the fields that name it (as its success would), `ok: false` and the error. */
export const itemErrorJson = (label: string, e: Error, ids?: Record<string, unknown>) =>
  ({ ok: false, ...(ids ?? idsOfLabel(label)), error: errorJson(e) });

/**
 * The JSON contract, kept in this one place for every line sse3 writes with --json: one compact line; a result or item
 * says `ok` (true unless it says otherwise); `versionId` is "null" for S3's null version and JSON null where no version
 * applies (an unversioned object), never ""; an unknown SHA-256 or fingerprint is null, never "". Described by
 * schema/sse3-output.schema.json.
 */
export function contractLine(json: unknown): string {
  const line = json !== null && typeof json === 'object' && !Array.isArray(json) && !('summary' in json) && !('ok' in json)
    ? { ok: true, ...json } : json;
  return JSON.stringify(line, (name, value) => (value === '' && NEVER_EMPTY.has(name) ? null : value)) + '\n';
}

/** Fields whose empty string means "none" inside sse3 (versionIdOf: the server named no version): null in JSON. */
const NEVER_EMPTY = new Set(['versionId', 'sha256', 'fingerprint', 'oldFingerprint', 'newFingerprint']);

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
