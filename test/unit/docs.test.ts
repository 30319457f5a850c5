// The command reference (docs/commands.md) is checked against the same command definitions as --help, the completion
// scripts and the manual page (the build's completion spec): a command or option added without its documentation fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CommandSpec } from '../../src/completion/complete.js';

const spec = JSON.parse(readFileSync(new URL('../../completion-spec.json', import.meta.url), 'utf8')) as CommandSpec;
const reference = readFileSync(new URL('../../../docs/commands.md', import.meta.url), 'utf8');

test('docs/commands.md documents every command and every long option sse3 has', () => {
  const missing: string[] = [];
  const walk = (cmd: CommandSpec, path: string[]): void => {
    for (const o of cmd.options) {
      for (const flag of o.flags) {
        if (flag.startsWith('--') && flag !== '--help' && !reference.includes(`\`${flag}`)) missing.push(`${path.join(' ')} ${flag}`);
      }
    }
    for (const sub of cmd.commands) {
      // A command's heading, or one naming it among its siblings: "sse3 manifest list|export|…".
      const named = new RegExp(`sse3 ${path.slice(1).map((p) => `${p} `).join('')}([\\w-]+\\|)*${sub.name}\\b`);
      if (!named.test(reference)) missing.push(`sse3 ${[...path.slice(1), sub.name].join(' ')}`);
      walk(sub, [...path, sub.name]);
    }
  };
  walk(spec, ['sse3']);
  assert.deepEqual(missing, []);
});
