import { type CommandUnknownOpts, CommanderError } from '@commander-js/extra-typings';
import { ExitCode, Sse3Error } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import { Output } from '../output/output.js';
import type { Action } from './lazy.js';
import { buildProgram } from './program.js';

// Commander's errors (unknown command or option, missing argument, bad value) as sse3's usage errors: one error line,
// a hint, exit 2, and with --json the error document on stdout.

/** The words of argv before a "--" (after it everything is an argument, even "--json"). */
const optionWords = (argv: string[]): string[] => {
  const end = argv.indexOf('--', 2);
  return argv.slice(2, end === -1 ? undefined : end);
};

/** A usage error: one error line and a hint on stderr, and the error document on stdout with --json; exit 2. */
async function usageError(argv: string[], message: string, hint: string): Promise<ExitCode> {
  const words = optionWords(argv);
  const out = await new Output({ json: words.includes('--json'), color: words.includes('--no-color') ? false : undefined }).init();
  out.error(new Sse3Error('USAGE', message, hint));
  return ExitCode.USAGE;
}

/** The command path a usage error belongs to (e.g. "manifest list"), for its --help hint. */
export function commandPathOf(program: CommandUnknownOpts, argv: string[]): string {
  const path: string[] = [];
  let node = program;
  for (const w of optionWords(argv)) {
    const sub = node.commands.find((c) => c.name() === w);
    if (!sub) continue;
    path.push(w);
    node = sub;
  }
  return path.join(' ');
}

/** Commander's errors whose message may carry a suggestion (showSuggestionAfterError). */
const SUGGESTING = new Set(['commander.unknownCommand', 'commander.unknownOption']);

/**
 * A CommanderError in sse3's words. Its message (a public field) is Commander's error line, then, for an unknown
 * command or option, the line of the suggestion showSuggestionAfterError adds ("(Did you mean get?)"): Commander
 * has no other public way to give it. The suggestion goes before the --help hint.
 */
export function commanderUsage(e: CommanderError, where: string): { message: string; hint: string } {
  const help = `run sse3 ${where ? `${where} ` : ''}--help for usage`;
  if (e.code === 'commander.help') {
    // A command group given without its command (sse3 manifest): its usage is already on stderr.
    return { message: `say which command of "sse3 ${where}" to run`, hint: help };
  }
  const [first, ...rest] = e.message.replace(/^error: /, '').split('\n');
  const similar = SUGGESTING.has(e.code) ? rest.join(' ').trim().replace(/^\((.*)\)$/, '$1') : '';
  return { message: first, hint: similar ? `${similar} (${help})` : help };
}

/** Parse argv into the action to run; a usage error or --help/--version gives its exit status instead. */
export async function parse(argv: string[]): Promise<{ action: Action; g: GlobalOptions } | ExitCode> {
  let pending: { action: Action; g: GlobalOptions } | undefined;
  const program = buildProgram((action, g) => { pending = { action, g }; });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return ExitCode.OK;
    const { message, hint } = commanderUsage(e, commandPathOf(program, argv));
    return usageError(argv, message, hint);
  }
  if (!pending) {
    program.outputHelp({ error: true });
    return usageError(argv, 'say which command to run', 'run sse3 --help for usage');
  }
  return pending;
}
