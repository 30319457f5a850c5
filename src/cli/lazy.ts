import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { CommandRun, GlobalOptions } from '../options.js';
import type { Output } from '../output/output.js';

/** What a command does once its options are parsed: main() runs it with the output and Ctrl-C's signal. */
export type Action = (out: Output, signal: AbortSignal) => Promise<void>;
/** Hands the action of the command that was parsed, with its global options, to whoever runs it. */
export type Register = (action: Action, g: GlobalOptions) => void;

/** A command's entry in src/commands: its operands, its options, then what every command runs with. */
type Operands<F> = F extends (...args: [...infer A, infer _O, CommandRun]) => unknown ? A : never;
type OptionsOf<F> = F extends (...args: [...infer _A, infer O, CommandRun]) => unknown ? O : never;

/** What lazy() gives `.action()`: Commander calls it with the operands, the options, then the command. */
type Handler<F, P> = (...args: [...Operands<F>, P, CommandUnknownOpts]) => void;

/**
 * The action helper of one command tree: `lazy(() => import('../commands/x.js'), 'x')` is an action that loads the
 * command's module only when that command runs (start-up, --help and completion load none of them) and calls its
 * entry with Commander's operands and options. `adapt` turns the parsed options into what the entry takes; it runs
 * with the command, so what it refuses is reported as the command's error.
 */
export function lazyActions(register: Register) {
  function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): Handler<M[K], OptionsOf<M[K]>>;
  function lazy<M, K extends keyof M, P>(load: () => Promise<M>, name: K, adapt: (opts: P, cmd: CommandUnknownOpts) => OptionsOf<M[K]>)
    : Handler<M[K], P>;
  function lazy<M, K extends keyof M, P>(load: () => Promise<M>, name: K, adapt?: (opts: P, cmd: CommandUnknownOpts) => unknown) {
    return (...args: unknown[]): void => {
      const cmd = args[args.length - 1] as CommandUnknownOpts;
      const opts = args[args.length - 2] as P;
      const operands = args.slice(0, -2);
      const g = cmd.optsWithGlobals() as GlobalOptions;
      register(async (out, signal) => {
        const entry = (await load())[name] as (...a: unknown[]) => unknown;
        const run: CommandRun = { g, out, signal, excessArgs: cmd.args.slice(cmd.registeredArguments.length) };
        await entry(...operands, adapt ? adapt(opts, cmd) : opts, run);
      }, g);
    };
  }
  return lazy;
}
