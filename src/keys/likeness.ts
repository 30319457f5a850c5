/**
 * The one rule for text that looks like key material. Such text is never printed back: a reference, a --from value,
 * an argument that holds it is refused (or left out of the message) without quoting it, and the key should be
 * considered exposed. Kept free of imports so the command line can ask it before loading anything.
 */

/** base64 (padded) of 32 bytes, or 64 hex digits, anywhere in the text: the usual ways to write a key down. */
const ENCODED_KEY = [/[A-Za-z0-9+/]{43}=/, /(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])/];
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
 * Whether text holds something that looks like key material: an encoded 32-byte key anywhere in it, or a word of
 * random-looking letters (both cases), digits and base64's symbols the length of an encoded key or of a 32-character
 * text secret. A word is the whole text, a reference's value (after file:, env:, keychain:) or one of its path
 * components.
 */
export function looksLikeKey(text: string): boolean {
  if (ENCODED_KEY.some((re) => re.test(text))) return true;
  // Base64 holds '/', so the value of a reference is tried whole as well as by path component.
  const value = text.replace(/^(file|env|keychain):(~\/)?/, '');
  return [text, value, ...text.split(/[/:]/)].some(secretWord);
}
