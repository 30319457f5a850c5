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
  const spinner = ora({ text, stream: out.stderr, color: 'cyan', isEnabled: true, discardStdin: false }).start();
  try {
    const r = await fn();
    spinner.stopAndPersist({ symbol: out.c.green('✓'), text: done ? done(r) : text });
    return r;
  } catch (e) {
    spinner.stopAndPersist({ symbol: out.c.red('✗'), text });
    throw e;
  }
}
