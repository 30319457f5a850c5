import { randomBytes } from 'node:crypto';
import { UNPRINTABLE_CLASS } from './printable.js';

/**
 * Text as a terminal shows it. Object keys and file names may hold any character, a newline or a terminal escape
 * sequence among them, which printed raw would split one name over two lines or show a different name altogether.
 * So every non-printable character of human output is escaped here, as `ls -b` (`--quoting-style=escape`) does: C
 * escapes (\n, \t, \e …), backslash doubled, anything else as the octal of its UTF-8 bytes. JSON output keeps the
 * exact string and never comes here.
 *
 * What sse3 itself means as a line break or a colour cannot be a raw character then: styles (Styles) and line breaks
 * (LINE_BREAK) are written as markers carrying a random token of this process — which no name can hold — and become
 * escape codes (or nothing, on a stream without colour) and newlines only here.
 */

const TOKEN = `\u{FDD0}${randomBytes(8).toString('hex')}`;
const MARKER = new RegExp(`${TOKEN}(\\d+m|n)`, 'gu');

/** A line break inside one piece of human text (a summary of two lines); a "\n" in a name is shown as \n. */
export const LINE_BREAK = `${TOKEN}n`;

const STYLE_CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39], bold: [1, 22], dim: [2, 22] } as const;
export type Styles = Record<keyof typeof STYLE_CODES, (text: string) => string>;

/** The styles of human output, as markers: colour for a stream that takes it, nothing for one that does not. */
export const styles = Object.fromEntries(Object.entries(STYLE_CODES).map(([name, [open, close]]) =>
  [name, (text: string) => `${TOKEN}${open}m${text}${TOKEN}${close}m`])) as Styles;

/** The styles where no stream shows colour: the text as it is. */
export const unstyled = Object.fromEntries(Object.keys(STYLE_CODES).map((name) => [name, (text: string) => text])) as Styles;

const C_ESCAPES: Record<string, string> = {
  '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v',
};

/** Those, and the backslash that escapes them. */
const NON_PRINTABLE = new RegExp(`[\\\\${UNPRINTABLE_CLASS}]`, 'gu');

const octal = (ch: string) => [...Buffer.from(ch, 'utf8')].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');

export { isPrintable } from './printable.js';

/** Every non-printable character (and the backslash that escapes them) as `ls -b` writes it. */
export const escapeNonPrintable = (text: string): string => text.replace(NON_PRINTABLE, (ch) => C_ESCAPES[ch] ?? octal(ch));

/** Human text as written to a stream: escaped, its markers made escape codes (color) or dropped, its line breaks newlines. */
export function terminalText(text: string, color: boolean): string {
  let shown = '';
  let at = 0;
  for (const m of text.matchAll(MARKER)) {
    shown += escapeNonPrintable(text.slice(at, m.index)) + (m[1] === 'n' ? '\n' : color ? `\x1b[${m[1]}` : '');
    at = m.index + m[0].length;
  }
  return shown + escapeNonPrintable(text.slice(at));
}

/**
 * Show the cursor again on a terminal, for a process that ends at once while its progress bars (which hide the
 * cursor) run: the reader of a pipe went away (src/cli/closed-reader.ts). Written only to a terminal, whose cursor
 * state is not sse3's to keep hidden; a shown cursor is left as it is.
 */
export function showCursor(stream: NodeJS.WriteStream): void {
  if (!stream.isTTY || stream.destroyed) return;
  try { stream.write('\x1b[?25h'); } catch { /* the terminal is gone too */ }
}
