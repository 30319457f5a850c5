import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { buildProgram } from '../../src/cli/program.js';
import { SMALL_OBJECT_JOBS } from '../../src/core/runtime/batch.js';

const allCommands = (c: CommandUnknownOpts): CommandUnknownOpts[] => [c, ...c.commands.flatMap((s) => allCommands(s))];

test('--help states each option\'s default once: the one sse3 uses, never Commander\'s "(default: 8)" after sse3\'s own', () => {
  const program = buildProgram(() => undefined);
  for (const command of allCommands(program)) {
    const help = command.createHelp();
    for (const option of command.options) {
      const said = help.optionDescription(option);
      const defaults = (text: string) => (text.match(/\bdefault\b/g) ?? []).length;
      // Where sse3's description says the default, Commander adds none of its own.
      if (defaults(option.description) > 0) assert.equal(defaults(said), defaults(option.description), `sse3 ${command.name()} ${option.long}: ${said}`);
    }
  }
  const verify = program.commands.find((c) => c.name() === 'verify')!;
  const jobs = verify.options.find((o) => o.long === '--jobs')!;
  // What verify runs with (src/commands/verify.ts): SMALL_OBJECT_JOBS HEADs at once, the --jobs default (8) with --deep.
  assert.equal(jobs.defaultValue, 8);
  assert.equal(verify.createHelp().optionDescription(jobs),
    `objects checked in parallel (default: ${SMALL_OBJECT_JOBS}, each one HEAD; 8 with --deep)`);
});
