import { parse, typedWords } from './cli/usage.js';
import { endQuietlyWhenReaderCloses } from './cli/closed-reader.js';
import { takeEnvKey } from './keys/env.js';

/** Parse argv, run one command, and return the exit status. Never throws. */
export async function main(argv: string[]): Promise<number> {
  // Before anything can start a child process, whether or not this command uses the key.
  takeEnvKey(process.env, 'SSE3_KEY');
  // Before the first write: help, results and data alike.
  endQuietlyWhenReaderCloses();
  const parsed = await parse(argv);
  if (typeof parsed === 'number') return parsed;
  // Loaded once a command is to run: --help, --version and usage errors need none of it.
  const [{ runAction }, { Output }] = await Promise.all([import('./cli/run.js'), import('./output/output.js')]);
  return runAction(parsed.action, await new Output({ ...parsed.g, typed: typedWords(argv) }).init());
}
