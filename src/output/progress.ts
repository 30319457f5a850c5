import type { Output } from './output.js';
import { humanBytes } from './output.js';

/** Progress callbacks a transfer reports into; a no-op when nobody watches a terminal. */
export interface TransferProgress {
  start(total: number | undefined): void;
  add(bytes: number): void;
  stop(): void;
}

const silent: TransferProgress = { start() {}, add() {}, stop() {} };

/** A cli-progress bar on stderr with bytes, rate and ETA — only when stderr is an interactive terminal. */
export async function transferProgress(out: Output, label: string): Promise<TransferProgress> {
  if (!out.interactive || !out.barsEnabled) return silent;
  const { SingleBar } = await import('cli-progress');
  const started = Date.now();
  let done = 0;
  let total = 0;
  const bar = new SingleBar({
    stream: out.stderr,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
    fps: 10,
    format: (options, params) => {
      const width = options.barsize ?? 24;
      const filled = total > 0 ? Math.round(width * Math.min(1, params.value / total)) : 0;
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      const rate = params.value / secs;
      const eta = total > 0 && rate > 0 ? Math.ceil((total - params.value) / rate) : 0;
      const bar = out.c.cyan('█'.repeat(filled)) + out.c.dim('░'.repeat(width - filled));
      const amount = total > 0 ? `${humanBytes(params.value)}/${humanBytes(total)}` : humanBytes(params.value);
      return `${label} ${bar} ${amount}  ${humanBytes(rate)}/s  ETA ${eta}s`;
    },
  });
  return {
    start(t) {
      total = t ?? 0;
      bar.start(Math.max(total, 1), 0);
    },
    add(bytes) {
      done += bytes;
      if (done > total && total > 0) total = done;
      bar.update(done);
    },
    stop() {
      bar.stop();
    },
  };
}
