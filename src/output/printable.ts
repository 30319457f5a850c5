// What a terminal cannot show as it is, in a module of its own: the completer (run on every TAB) needs only this, not
// the rest of terminal.ts (whose markers need a random token, and so node:crypto, which takes milliseconds to load).

/** Controls (C0, DEL, C1), invisible formatting (bidi overrides, zero-width), line and paragraph separators, lone surrogates. */
export const UNPRINTABLE_CLASS = '\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}';
const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_CLASS}]`, 'u');

/** Text with no character escapeNonPrintable would escape, the backslash aside. */
export const isPrintable = (text: string): boolean => !UNPRINTABLE.test(text);
