/**
 * The one rule for text that looks like key material, and how text a user typed is shown in a message. Such text is
 * never printed back: a reference, a --from value, an argument that holds it is refused (or shown without it), and
 * the key should be considered exposed. Kept free of imports so that the command line can ask it before loading
 * anything, and so that every layer may use it (as it may use errors.ts).
 */

/** base64 (padded) of 32 bytes, or 64 hex digits, anywhere in the text: the usual ways to write a key down. */
const ENCODED_KEY = /[A-Za-z0-9+/]{43}=|(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])/g;
/** As a whole word: unpadded base64 or base64url of 32 bytes. */
const BASE64_WORD = [/^[A-Za-z0-9_-]{43}=?$/, /^[A-Za-z0-9+/]{43}$/];
/**
 * As a whole word: a 32-character text secret, whose ASCII bytes are the key (`aws s3 cp --sse-c-key`): letters,
 * digits and base64's + and / (`openssl rand -base64 24` makes one).
 */
const TEXT_SECRET = /^[A-Za-z0-9+/]{32}$/;
/** Random words have both letter cases; names in one case (env var names, kebab-case names) are not taken for keys. */
const bothCases = (w: string) => /[a-z]/.test(w) && /[A-Z]/.test(w);
const secretWord = (w: string) => bothCases(w) && (BASE64_WORD.some((re) => re.test(w)) || TEXT_SECRET.test(w));
/**
 * What separates the words of a path, a URL or an option: a key holds none of these (base64's "/" aside: a key
 * written in base64 is caught whole, or by its "=" anywhere).
 */
const WORD_BREAK = /[/:=?#&@,;.\s'"]+/;

/**
 * The parts of the text that look like key material: an encoded 32-byte key anywhere in it, and every word of
 * random-looking letters (both cases), digits and base64's symbols the length of an encoded key or of a 32-character
 * text secret. A word is the whole text, a reference's value (after file:, env:, keychain:), or one component of it
 * as a path, a URL or an option (`--name=VALUE`) divides it — each also without leading dashes.
 */
export function keyShapedParts(text: string): string[] {
  const parts = new Set(text.match(ENCODED_KEY) ?? []);
  // Base64 holds '/', so the value of a reference or an option is tried whole as well as by component.
  const value = text.replace(/^(file|env|keychain):(~\/)?/, '');
  const optionValue = text.replace(/^--?[^=]*=/, '');
  for (const word of [text, value, optionValue, ...text.split(WORD_BREAK)]) {
    // An option's name before it ("--KEY"); a key may start with "-" itself (base64url).
    for (const w of [word, word.replace(/^--?/, ''), word.replace(/^-/, '')]) if (secretWord(w)) parts.add(w);
  }
  return [...parts];
}

/** Whether text holds something that looks like key material (see keyShapedParts). */
export const looksLikeKey = (text: string): boolean => keyShapedParts(text).length > 0;

/** What a message says in place of text that looks like a key. */
export const NOT_SHOWN = '(not shown: it looks like a key)';

/** Characters a terminal acts on (C0, DEL, C1), line and paragraph separators, and the marks that reorder text. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"\\]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', '\\': '\\\\' };
const escaped = (c: string) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Text with every part that looks like key material replaced by NOT_SHOWN. */
export function withoutKeys(text: string): string {
  let out = text;
  // Longest first: a part inside another (a word of an encoded key) is gone with it.
  for (const part of keyShapedParts(text).sort((a, b) => b.length - a.length)) out = out.split(part).join(NOT_SHOWN);
  return out;
}

/**
 * A value the user gave (an argument, an option's value, a URL, a path, a name), as a message quotes it: in double
 * quotes, with control characters escaped so it cannot act on the terminal, and with a key-shaped value — or a
 * key-shaped part of it, such as one segment of an s3:// URL or one path component — replaced by NOT_SHOWN.
 */
export function shown(value: string): string {
  if (keyShapedParts(value).includes(value)) return NOT_SHOWN;
  return `"${withoutKeys(value).replace(UNPRINTABLE, escaped)}"`;
}

/**
 * What output must never hold of the words a user typed (the command line): each key-shaped part of them, in any
 * letter case (an endpoint's host is written in lower case) and percent-encoded as a URL carries it. undefined when
 * nothing typed looks like a key.
 */
export function typedKeysPattern(words: readonly string[]): RegExp | undefined {
  const parts = new Set(words.flatMap(keyShapedParts).flatMap((p) => [p, encodeURIComponent(p)]));
  if (parts.size === 0) return undefined;
  const alternatives = [...parts].sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(alternatives.join('|'), 'gi');
}
