import type { ConnectionOptions } from './s3/client.js';
import type { Output, OutputOptions } from './output/output.js';

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions extends ConnectionOptions, OutputOptions {}

/**
 * What every command's entry (src/commands) receives after its operands and its own options: the global options, the
 * output, and the signal Ctrl-C (or SIGTERM) aborts.
 */
export interface CommandRun {
  g: GlobalOptions;
  out: Output;
  signal: AbortSignal;
  /** Words after the command's declared arguments, for a command that refuses them in its own words. */
  excessArgs: string[];
}
