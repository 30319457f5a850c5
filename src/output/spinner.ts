import type { Output } from './output.js';

/**
 * Run a short operation behind an ora spinner on stderr that ends in a ✓ or ✗
 * line. Only on an interactive terminal; otherwise the operation just runs.
 */
export async function withSpinner<T>(out: Output, text: string, fn: () => Promise<T>, done?: (r: T) => string): Promise<T> {
  if (!out.interactive) return fn();
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: out.stderr, color: 'cyan', isEnabled: true }).start();
  try {
    const r = await fn();
    spinner.stopAndPersist({ symbol: out.c.green('✓'), text: done ? done(r) : text });
    return r;
  } catch (e) {
    spinner.stopAndPersist({ symbol: out.c.red('✗'), text });
    throw e;
  }
}
