import { parse, typedWords } from './cli/usage.js';
import { endQuietlyWhenReaderCloses } from './cli/closed-reader.js';
import { runAction } from './cli/run.js';
import { takeEnvKey } from './keys/env.js';
import { Output } from './output/output.js';

/** Parse argv, run one command, and return the exit status. Never throws. */
export async function main(argv: string[]): Promise<number> {
  // Before anything can start a child process, whether or not this command uses the key.
  takeEnvKey(process.env, 'SSE3_KEY');
  // Before the first write: help, results and data alike.
  endQuietlyWhenReaderCloses();
  const parsed = await parse(argv);
  if (typeof parsed === 'number') return parsed;
  return runAction(parsed.action, await new Output({ ...parsed.g, typed: typedWords(argv) }).init());
}
