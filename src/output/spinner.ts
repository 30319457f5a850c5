import type { Output } from './output.js';

/**
 * Run a short operation behind an ora spinner on stderr that ends in a ✓ or ✗
 * line. Only on an interactive terminal; otherwise the operation just runs.
 */
export async function withSpinner<T>(out: Output, text: string, fn: () => Promise<T>, done?: (r: T) => string): Promise<T> {
  // A terminal that reports no width (a pty nobody sized) would make ora clear lines without end.
  if (!out.interactive || !(out.stderr.columns > 0)) return fn();
  const { default: ora } = await import('ora');
  // discardStdin would take over stdin and keep the process alive after the command is done.
  const spinner = ora({ text: out.terminal(text), stream: out.stderr, color: 'cyan', isEnabled: true, discardStdin: false }).start();
  try {
    const r = await fn();
    spinner.stopAndPersist({ symbol: out.terminal(out.c.green('✓')), text: out.terminal(done ? done(r) : text) });
    return r;
  } catch (e) {
    spinner.stopAndPersist({ symbol: out.terminal(out.c.red('✗')), text: out.terminal(text) });
    throw e;
  }
}

/**
 * A long scan behind a spinner whose text the scan updates (a count of what it has seen), at most a few times a
 * second; `print` writes a line above it. Only on an interactive terminal; otherwise the scan just runs.
 */
export async function withStatus<T>(out: Output, text: string,
  fn: (update: (text: string) => void, print: (write: () => void) => void) => Promise<T>): Promise<T> {
  if (!out.interactive || !(out.stderr.columns > 0)) return fn(() => undefined, (write) => write());
  const { default: ora } = await import('ora');
  const spinner = ora({ text: out.terminal(text), stream: out.stderr, color: 'cyan', isEnabled: true, discardStdin: false }).start();
  let last = 0;
  const update = (t: string) => {
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    spinner.text = out.terminal(t);
  };
  const print = (write: () => void) => { spinner.clear(); write(); spinner.render(); };
  try {
    const r = await fn(update, print);
    spinner.stop();
    return r;
  } catch (e) {
    spinner.stopAndPersist({ symbol: out.terminal(out.c.red('✗')), text: out.terminal(text) });
    throw e;
  }
}
