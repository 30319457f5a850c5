import { type CommandUnknownOpts, CommanderError } from '@commander-js/extra-typings';
import { ExitCode, Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import type { GlobalOptions } from '../options.js';
import { guideFlagIn } from './guide-flags.js';
import type { Action } from './lazy.js';
import { buildProgram } from './program.js';

// Commander's errors (unknown command or option, missing argument, bad value) as sse3's usage errors: one error line,
// a hint, exit 2, and with --json the error document on stdout. A value the user typed is quoted as every message
// quotes one (shown): control characters escaped, and never what looks like a key.

/** The words of argv before a "--" (after it everything is an argument, even "--json"). */
const optionWords = (argv: string[]): string[] => {
  const end = argv.indexOf('--', 2);
  return argv.slice(2, end === -1 ? undefined : end);
};

/** The words the user typed, for Output to keep what looks like a key in them out of everything it writes. */
export const typedWords = (argv: string[]): string[] => argv.slice(2);

/** A usage error: one error line and a hint on stderr, and the error document on stdout with --json; exit 2. */
async function usageError(argv: string[], error: Sse3Error): Promise<ExitCode> {
  const words = optionWords(argv);
  const { Output } = await import('../output/output.js');
  const out = await new Output({ json: words.includes('--json'), color: words.includes('--no-color') ? false : undefined,
    typed: typedWords(argv) }).init();
  out.error(error);
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
 * The messages of Commander's that quote what the user typed, and how sse3 says them: the value through shown(), an
 * unknown option's "=VALUE" left out. Commander quotes with ' and adds nothing after the value but its own words, so
 * the value runs to the last quote before them. Its other messages quote only sse3's own names.
 */
const QUOTING: Array<[RegExp, (...m: string[]) => string]> = [
  [/^unknown command '([\s\S]*)'$/, (name) => `unknown command ${shown(name)}`],
  [/^unknown option '([\s\S]*)'$/, (flag) => `unknown option ${shown(flag.split('=')[0])}`],
  [/^option '([^']*)' argument '([\s\S]*)' is invalid\. ([\s\S]*)$/,
    (flags, value, why) => `option '${flags}' argument ${shown(value)} is invalid. ${why}`],
  [/^command-argument value '([\s\S]*)' is invalid for argument '([^']*)'\. ([\s\S]*)$/,
    (value, name, why) => `command-argument value ${shown(value)} is invalid for argument '${name}'. ${why}`],
];

/** Commander's error line in sse3's words, the values it quotes shown as sse3 shows them. */
function commanderLine(line: string): string {
  for (const [pattern, say] of QUOTING) {
    const m = pattern.exec(line);
    if (m) return say(...m.slice(1));
  }
  return line;
}

/**
 * A CommanderError in sse3's words. Its message (a public field) is Commander's error line, then, for an unknown
 * command or option, the line of the suggestion showSuggestionAfterError adds ("(Did you mean get?)"): Commander
 * has no other public way to give it. The suggestion goes before the --help hint.
 */
export function commanderUsage(e: CommanderError, where: string): { message: string; hint: string } {
  const help = `run sse3 ${where ? `${where} ` : ''}--help for usage`;
  if (e.code === 'commander.help') {
    // sse3 alone, or a command group given without its command (sse3 manifest): its usage is already on stderr.
    return { message: where ? `say which command of "sse3 ${where}" to run` : 'say which command to run', hint: help };
  }
  // The suggestion is Commander's last line, naming one of sse3's own commands or options; the value may hold newlines.
  const text = e.message.replace(/^error: /, '');
  const suggestion = SUGGESTING.has(e.code) ? /\n\((Did you mean [^\n']*\?)\)$/.exec(text) : null;
  const message = commanderLine(suggestion ? text.slice(0, suggestion.index) : text);
  return { message, hint: suggestion ? `${suggestion[1]} (${help})` : help };
}

/**
 * Help or the version the user asked for (--help, sse3 help, sse3 help put, -V): printed on stdout, exit 0. Commander
 * reports `sse3 help NAME` as 'commander.help' with exit 0, and the usage it prints for sse3 alone or a group without
 * its command (sse3 manifest) as 'commander.help' with exit 1: that one is a usage error.
 */
const askedFor = (e: CommanderError): boolean => e.code === 'commander.helpDisplayed' || e.code === 'commander.version'
  || (e.code === 'commander.help' && e.exitCode === 0);

/** Parse argv into the action to run; a usage error or --help/--version gives its exit status instead. */
export async function parse(argv: string[]): Promise<{ action: Action; g: GlobalOptions } | ExitCode> {
  // Before Commander, which would only call them unknown options (and quote their values).
  const guideFlag = guideFlagIn(optionWords(argv));
  if (guideFlag) return usageError(argv, guideFlag);
  let pending: { action: Action; g: GlobalOptions } | undefined;
  const program = buildProgram((action, g) => { pending = { action, g }; });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (askedFor(e)) return ExitCode.OK;
    const { message, hint } = commanderUsage(e, commandPathOf(program, argv));
    return usageError(argv, new Sse3Error('USAGE', message, hint));
  }
  if (!pending) {
    program.outputHelp({ error: true });
    return usageError(argv, new Sse3Error('USAGE', 'say which command to run', 'run sse3 --help for usage'));
  }
  return pending;
}
