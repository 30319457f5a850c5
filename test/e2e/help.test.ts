// Help is asked for: it goes to stdout and exits 0, with no error. sse3 alone is a usage error that lists the commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './harness.js';

test('sse3 help, sse3 help COMMAND and --help print the help on stdout, no error, exit 0', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['help'], /^Usage: sse3 \[options\] \[command\][\s\S]*\n {2}put \[options\] <src> <dst>/],
    [['help', 'put'], /^Usage: sse3 put \[options\] <src> <dst>/],
    [['help', 'keys'], /^Usage: sse3 keys \[options\] \[command\][\s\S]*\n {2}import/],
    [['help', 'manifest'], /^Usage: sse3 manifest \[options\] \[command\]/],
    [['put', '--help'], /^Usage: sse3 put \[options\] <src> <dst>/],
    [['keys', '--help'], /^Usage: sse3 keys/],
    [['--help'], /^Usage: sse3 \[options\] \[command\]/],
  ];
  for (const [args, help] of cases) {
    const r = await run(args);
    assert.equal(r.code, 0, `sse3 ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.out, help, `sse3 ${args.join(' ')}`);
    assert.equal(r.stderr, '', `sse3 ${args.join(' ')}: no error`);
  }
});

test('sse3 alone lists the commands on stderr and exits 2 (a usage error, as git and aws exit non-zero)', async () => {
  const r = await run([]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.out, '');
  assert.match(r.stderr, /^Usage: sse3 \[options\] \[command\][\s\S]*Commands:[\s\S]*\n {2}get \[options\] <src> \[dst\]/);
  assert.match(r.stderr, /^error: say which command to run$/m);
  assert.doesNotMatch(r.stderr, /"sse3 "/);
  const j = await run(['--json']);
  assert.equal(j.code, 2);
  assert.equal(j.json().error.code, 'USAGE');
});
