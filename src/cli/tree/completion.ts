import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import * as completionCommand from '../../commands/completion.js';
import type { CommandSpec } from '../../completion/complete.js';
import { type Register, lazyActions } from '../lazy.js';
import { examples } from '../options.js';
import type { Program } from '../program.js';

export function addCompletionCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  program.command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', examples('sse3 completion bash > ~/.local/share/bash-completion/completions/sse3',
      'sse3 completion zsh > "${fpath[1]}/_sse3"', 'sse3 completion fish > ~/.config/fish/completions/sse3.fish'))
    // Bundled with the CLI rather than loaded on use: a few lines, and a chunk of its own would cut errors.ts out of the
    // chunk it shares with what every start loads (one more file read at each start).
    .action(lazy(async () => completionCommand, 'completion'));

  // The build writes this to dist/completion-spec.json, for the completion answers that must not load Commander.
  program.command('__spec', { hidden: true }).action(() => register(async (out) => {
    out.text(JSON.stringify(commandSpec(program)) + '\n');
  }, {}));
  // And this to dist/man/sse3.1: the manual page, from the same definitions.
  program.command('__man', { hidden: true }).action(() => register(async (out) => {
    const { manPage } = await import('../man.js');
    out.text(manPage(program, program.version() ?? ''));
  }, {}));
}

/** The command tree as data: each command's options and the commands --help lists (hidden ones are left out). */
export function commandSpec(cmd: CommandUnknownOpts): CommandSpec {
  // visibleCommands also lists Commander's implicit "help" command, which is not one of cmd.commands.
  const visible = cmd.createHelp().visibleCommands(cmd).filter((c) => cmd.commands.includes(c));
  return {
    name: cmd.name(),
    options: [...cmd.options.map((o) => ({
      flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
      takesValue: o.required || o.optional, ...(o.argChoices ? { choices: o.argChoices } : {}),
    })), { flags: ['-h', '--help'], takesValue: false }],
    commands: visible.map((c) => commandSpec(c)),
  };
}
