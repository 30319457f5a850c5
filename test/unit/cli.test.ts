import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { lazyActions, type Action } from '../../src/cli/lazy.js';
import { partSizeArg, withPartSize, withSmallJobs } from '../../src/cli/options.js';
import { buildProgram } from '../../src/cli/program.js';
import { commandSpec } from '../../src/cli/tree/completion.js';
import { commandPathOf, commanderUsage } from '../../src/cli/usage.js';
import type { CommandSpec } from '../../src/completion/complete.js';
import { Sse3Error } from '../../src/errors.js';
import type { CommandRun } from '../../src/options.js';
import { Output } from '../../src/output/output.js';

/** A command entry as src/commands has them, recording what it was called with. */
const calls: unknown[][] = [];
const entries = {
  copy: async (src: string, dst: string | undefined, opts: { jobs: number; partSize?: number; smallJobs?: number }, run: CommandRun) => {
    calls.push([src, dst, opts, run.excessArgs, run.g.json]);
  },
};

/** Parse argv with a program whose one command is `copy`; the action is run as main() would run it. */
async function parsed(argv: string[], adapt?: 'part-size' | 'small-jobs') {
  let action: Action | undefined;
  const lazy = lazyActions((a) => { action = a; });
  const program = new Command('t').exitOverride().configureOutput({ outputError: () => undefined }).option('--json');
  const copy = program.command('copy').argument('<src>').argument('[dst]').allowExcessArguments()
    .option('--part-size <size>', 'size', partSizeArg).option('--jobs <n>', 'n', Number, 8);
  const load = async () => entries;
  if (adapt === 'part-size') copy.action(lazy(load, 'copy', withPartSize));
  else if (adapt === 'small-jobs') copy.action(lazy(load, 'copy', withSmallJobs));
  else copy.action(lazy(load, 'copy'));
  await program.parseAsync(['node', 't', ...argv]);
  calls.length = 0;
  await action!(new Output({}), new AbortController().signal);
  return calls[0];
}

test('lazy: the entry gets the operands, the options as the adapter made them, the global options and the words beyond its arguments', async () => {
  assert.deepEqual(await parsed(['copy', 'a', 'b', 'extra', '--json']), ['a', 'b', { jobs: 8 }, ['extra'], true]);
  assert.deepEqual(await parsed(['copy', 'a']), ['a', undefined, { jobs: 8 }, [], undefined]);
  assert.deepEqual(await parsed(['copy', 'a', 'b', '--part-size', '16'], 'part-size'), ['a', 'b', { jobs: 8, partSize: 16 * 1024 * 1024 }, [], undefined]);
  assert.deepEqual((await parsed(['copy', 'a'], 'small-jobs'))[2], { jobs: 8, smallJobs: undefined }, '--jobs not given: the command\'s own default');
  assert.deepEqual((await parsed(['copy', 'a', '--jobs', '3'], 'small-jobs'))[2], { jobs: 3, smallJobs: 3 });
  // An adapter's refusal is the command's error, raised when it runs (after parsing): it then has the command's output.
  await assert.rejects(parsed(['copy', 'a', '--part-size', '4'], 'part-size'),
    (e: unknown) => e instanceof Sse3Error && e.code === 'USAGE' && /--part-size 4 MiB is out of range/.test(e.message));
});

test('--part-size: decimal digits, a fraction, a binary unit; a plain number is MiB; nothing else Number() would take', () => {
  const MiB = 1024 * 1024;
  const sizes: Array<[string, number]> = [['8', 8 * MiB], ['5.5', 5.5 * MiB], ['8MiB', 8 * MiB], ['8mib', 8 * MiB], ['512KiB', 512 * 1024],
    ['1GiB', 1024 * MiB], ['6291456B', 6 * MiB], ['0.5GiB', 512 * MiB], ['08', 8 * MiB]];
  for (const [text, bytes] of sizes) assert.equal(partSizeArg(text), bytes, text);
  for (const text of ['0x10', '1e1', '', ' 8', '8 ', '8 MiB', '8MB', '8M', '-8', '+8', '8.', '.5', '1.3B', 'Infinity', 'NaN', '8MiBs']) {
    assert.throws(() => partSizeArg(text), /--part-size takes a size such as 8, 8MiB/, JSON.stringify(text));
  }
});

const names = (spec: CommandSpec): string[] => spec.commands.flatMap((c) => [c.name, ...names(c).map((n) => `${c.name} ${n}`)]);

test('the completion spec lists every command --help lists, and neither hidden commands nor Commander\'s help command', () => {
  const spec = commandSpec(buildProgram(() => undefined));
  assert.deepEqual(names(spec), ['keygen', 'keys', 'keys list', 'keys import', 'keys default', 'keys usage', 'keys export', 'keys rm', 'put',
    'get', 'cat', 'head', 'presign', 'cp', 'mv', 'sync', 'rotate', 'verify', 'adopt', 'ls', 'rm', 'mb', 'rb', 'bucket', 'bucket sse-c', 'manifest', 'manifest list',
    'manifest export', 'manifest import', 'manifest alias', 'manifest rebuild',
    'manifest pull', 'completion']);
  const put = spec.commands.find((c) => c.name === 'put')!;
  assert.deepEqual(put.options.find((o) => o.flags.includes('--key')), { flags: ['-k', '--key'], takesValue: true });
  assert.deepEqual(spec.options.find((o) => o.flags.includes('--checksums'))?.choices, ['when_required', 'when_supported']);
  assert.deepEqual(spec.options.at(-1), { flags: ['-h', '--help'], takesValue: false });
});

test('mv takes exactly cp\'s options and cat exactly get\'s: one definition each, whatever is added to it', () => {
  const spec = commandSpec(buildProgram(() => undefined));
  const optionsOf = (name: string) => spec.commands.find((c) => c.name === name)!.options;
  assert.deepEqual(optionsOf('mv'), optionsOf('cp'));
  assert.deepEqual(optionsOf('cat'), optionsOf('get'));
});

/** Commander's error for argv, from sse3's program (which prints none of its own). */
async function commanderError(argv: string[]): Promise<{ usage: ReturnType<typeof commanderUsage>; where: string }> {
  const program = buildProgram(() => undefined);
  const full = ['node', 'sse3', ...argv];
  try {
    await program.parseAsync(full);
  } catch (e) {
    assert.ok(e instanceof CommanderError);
    const where = commandPathOf(program, full);
    return { usage: commanderUsage(e, where), where };
  }
  throw new Error(`sse3 ${argv.join(' ')} parsed`);
}

test('Commander\'s errors in sse3\'s words: its line, its suggestion before the --help hint of the command it is about', async () => {
  assert.deepEqual((await commanderError(['gte', 's3://b/k'])).usage,
    { message: 'unknown command "gte"', hint: 'Did you mean get? (run sse3 --help for usage)' });
  assert.deepEqual((await commanderError(['manifest', 'lst'])).usage,
    { message: 'unknown command "lst"', hint: 'Did you mean list? (run sse3 manifest --help for usage)' });
  assert.deepEqual((await commanderError(['get', 's3://b/k', '--versio-id', 'x'])).usage,
    { message: 'unknown option "--versio-id"', hint: 'Did you mean --version-id? (run sse3 get --help for usage)' });
  assert.deepEqual((await commanderError(['get', 's3://b/k', '--bogus'])).usage,
    { message: 'unknown option "--bogus"', hint: 'run sse3 get --help for usage' });
  assert.deepEqual((await commanderError(['head', 's3://b/k', 'extra'])).usage,
    { message: 'too many arguments for \'head\'. Expected 1 argument but got 2.', hint: 'run sse3 head --help for usage' });
  assert.deepEqual((await commanderError(['verify', '--jobs', '0'])).usage.message,
    'option \'--jobs <n>\' argument "0" is invalid. --jobs must be a positive whole number.');
});
