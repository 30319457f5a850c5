import type { MultiBar } from 'cli-progress';
import type { TransferEvents } from '../core/context.js';
import type { Output } from './output.js';
import { humanBytes } from './output.js';

/** cli-progress is CommonJS: bundled, its exports sit on the default export. */
async function loadCliProgress(): Promise<typeof import('cli-progress')> {
  const mod = await import('cli-progress');
  return (mod as { default?: typeof import('cli-progress') }).default ?? mod;
}

/** Progress callbacks a transfer reports into; a no-op when nobody watches a terminal. */
export interface TransferProgress {
  start(total: number | undefined): void;
  add(bytes: number): void;
  stop(): void;
}

const silent: TransferProgress = { start() {}, add() {}, stop() {} };

interface Counter {
  total: number;
  done: number;
  started: number;
}

/** bytes, rate and ETA for one bar, as human text (Output.terminal shows it). */
function transferLine(out: Output, label: string, c: Counter, width: number): string {
  const filled = c.total > 0 ? Math.round(width * Math.min(1, c.done / c.total)) : 0;
  const secs = Math.max((Date.now() - c.started) / 1000, 0.001);
  const rate = c.done / secs;
  const eta = c.total > 0 && rate > 0 ? Math.ceil((c.total - c.done) / rate) : 0;
  const bar = out.c.cyan('█'.repeat(filled)) + out.c.dim('░'.repeat(width - filled));
  const amount = c.total > 0 ? `${humanBytes(c.done)}/${humanBytes(c.total)}` : humanBytes(c.done);
  // A long label (a deep path) keeps its end, where the file name is; what looks like a key goes before it is cut.
  const whole = out.redacted(label);
  const name = whole.length > 24 ? `…${whole.slice(-23)}` : whole.padEnd(24);
  return `${name} ${bar} ${amount}  ${humanBytes(rate)}/s  ETA ${eta}s`;
}

/** What a batch's total line counts, and what else it says. */
export interface BatchDisplay {
  /** What the items are ("objects", "files"). */
  noun?: string;
  /** More words for the total line, read at each redraw (e.g. how many files were found unchanged). */
  status?: () => string;
}

/**
 * Bars for a batch (recursive cp, rotate, sync): one per object in flight and a total line with items and bytes
 * done of those known so far, rate and ETA. While it runs, per-object result lines are printed above the bars.
 */
export class BatchProgress {
  readonly #out: Output;
  readonly #multi: MultiBar;
  readonly #total: ReturnType<MultiBar['create']>;
  readonly #display: BatchDisplay;
  #seen = 0;
  #finished = 0;
  #failed = 0;
  #bytes = 0;
  #totalBytes = 0;
  readonly #started = Date.now();

  private constructor(out: Output, multi: MultiBar, display: BatchDisplay) {
    this.#out = out;
    this.#multi = multi;
    this.#display = display;
    this.#total = multi.create(1, 0, {}, { format: () => out.terminal(this.#totalLine()) });
  }

  static async create(out: Output, display: BatchDisplay = {}): Promise<BatchProgress | undefined> {
    if (!out.interactive) return undefined;
    const { MultiBar } = await loadCliProgress();
    return new BatchProgress(out, new MultiBar({ stream: out.stderr, hideCursor: true, clearOnComplete: true, fps: 10 }), display);
  }

  #totalLine(): string {
    const secs = Math.max((Date.now() - this.#started) / 1000, 0.001);
    const rate = this.#bytes / secs;
    const left = Math.max(0, this.#totalBytes - this.#bytes);
    const bytes = this.#totalBytes > 0 ? `${humanBytes(this.#bytes)}/${humanBytes(this.#totalBytes)}` : humanBytes(this.#bytes);
    const eta = left > 0 && rate > 0 ? `  ETA ${Math.ceil(left / rate)}s` : '';
    const status = this.#display.status?.() ?? '';
    return this.#out.c.bold(`total: ${this.#finished}/${this.#seen} ${this.#display.noun ?? 'objects'}`) +
      (this.#failed ? this.#out.c.red(` (${this.#failed} failed)`) : '') +
      `  ${bytes}  ${humanBytes(rate)}/s${eta}${status ? `  ${status}` : ''}`;
  }

  /** An item is known; bytes: what it will move, when known before it runs. */
  seen(bytes?: number): void {
    this.#seen++;
    this.#totalBytes += bytes ?? 0;
    this.#total.update(0);
  }

  finished(ok: boolean): void {
    this.#finished++;
    if (!ok) this.#failed++;
    this.#total.update(0);
  }

  /** Human text above the bars (Output's lines), shown as Output.terminal makes it. */
  log(line: string): void {
    this.#multi.log(this.#out.terminal(line) + '\n');
  }

  /** A bar for one item; an item whose size was not announced with seen() adds it to the total when it starts. */
  object(label: string, announced = false): TransferProgress {
    const c: Counter = { total: 0, done: 0, started: Date.now() };
    const bar = this.#multi.create(1, 0, {}, { format: () => this.#out.terminal(transferLine(this.#out, label, c, 20)) });
    return {
      start: (t) => {
        c.total = t ?? 0;
        c.started = Date.now();
        if (!announced) this.#totalBytes += c.total;
        bar.update(0);
      },
      add: (n) => { c.done += n; this.#bytes += n; bar.update(0); },
      stop: () => { this.#multi.remove(bar); },
    };
  }

  stop(): void {
    this.#multi.stop();
  }
}

/** A cli-progress bar on stderr with bytes, rate and ETA — only when stderr is an interactive terminal. */
export async function transferProgress(out: Output, label: string, announced = false): Promise<TransferProgress> {
  if (out.batch) return out.batch.object(label, announced);
  if (!out.interactive) return silent;
  const { SingleBar } = await loadCliProgress();
  const c: Counter = { total: 0, done: 0, started: Date.now() };
  const bar = new SingleBar({ stream: out.stderr, hideCursor: true, clearOnComplete: true, barsize: 24, fps: 10,
    format: (options) => out.terminal(transferLine(out, label, c, options.barsize ?? 24)) });
  let running = false;
  return {
    start(t) {
      c.total = t ?? 0;
      c.started = Date.now();
      bar.start(1, 0);
      running = true;
    },
    add(bytes) {
      c.done += bytes;
      if (running) bar.update(0);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** Run one transfer with its progress bar (or none), giving it the events core reports through. */
export async function withProgress<T>(out: Output, label: string, fn: (events: TransferEvents) => Promise<T>,
  opts: { announced?: boolean } = {}): Promise<T> {
  const progress = await transferProgress(out, label, opts.announced);
  try {
    return await fn({ onStart: (n) => progress.start(n), onBytes: (n) => progress.add(n), onWarning: (m) => out.warn(m) });
  } finally {
    progress.stop();
  }
}
