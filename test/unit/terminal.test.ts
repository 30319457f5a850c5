import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeNonPrintable, LINE_BREAK, styles, terminalText } from '../../src/output/terminal.js';

test('non-printable characters are escaped as ls -b does; printable text, spaces and non-Latin letters stay', () => {
  assert.equal(escapeNonPrintable('nl\nx'), 'nl\\nx');
  assert.equal(escapeNonPrintable('a\tb\rc\x07\b\f\v'), 'a\\tb\\rc\\a\\b\\f\\v');
  assert.equal(escapeNonPrintable('\x1b[2J\x1b[31mpay'), '\\033[2J\\033[31mpay');
  assert.equal(escapeNonPrintable('back\\slash'), 'back\\\\slash', 'a backslash is doubled, so "\\n" typed in a name differs from a newline');
  assert.equal(escapeNonPrintable('\x00\x7f\u0085'), '\\000\\177\\302\\205');
  assert.equal(escapeNonPrintable('evil\u202Etxt.exe'), 'evil\\342\\200\\256txt.exe', 'a bidi override would show another name');
  assert.equal(escapeNonPrintable('a\u2028b'), 'a\\342\\200\\250b');
  assert.equal(escapeNonPrintable('日本語 \u{1F600} café ok'), '日本語 \u{1F600} café ok');
});

test('human text: names escaped, sse3\'s own colours and line breaks kept, colour dropped on a stream without it', () => {
  const text = `${styles.green('✓')} get s3://b/nl\nx${LINE_BREAK}${styles.dim('hint:')} \x1b[31mred`;
  assert.equal(terminalText(text, true), '\x1b[32m✓\x1b[39m get s3://b/nl\\nx\n\x1b[2mhint:\x1b[22m \\033[31mred');
  assert.equal(terminalText(text, false), '✓ get s3://b/nl\\nx\nhint: \\033[31mred');
  // A name holding what looks like a marker, without this process's token, is only text.
  assert.equal(terminalText('\u{FDD0}31mx\u{FDD0}n', true), '\u{FDD0}31mx\u{FDD0}n');
});
