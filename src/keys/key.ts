import { createHash } from 'node:crypto';
import { Sse3Error } from '../errors.js';
import { FINGERPRINT_HEX_CHARS } from './fingerprint.js';
import type { CopySourceSseCParams, SseCParams } from '../s3/objects.js';

export const KEY_BYTES = 32;

/**
 * Label mixed into every fingerprint so the value can never be confused with
 * (or computed from) any other hash of the key, such as the SSE-C key MD5
 * that S3 servers echo back in responses.
 */
const FINGERPRINT_LABEL = 'sse3 key fingerprint v1\0';

/**
 * A 256-bit SSE-C key. The raw bytes stay inside this object: its string and
 * JSON forms show only the fingerprint, so a key cannot leak through logging.
 */
export class SseCKey {
  readonly fingerprint: string;
  /** Base64 MD5 of the raw key, as S3 reports it in x-amz-server-side-encryption-customer-key-MD5. */
  readonly keyMd5: string;
  /** Where the key came from, e.g. "keychain:prod" (never the key). */
  readonly source: string;
  readonly #raw: Buffer;
  #params?: SseCParams;

  constructor(raw: Uint8Array, source: string) {
    if (raw.length !== KEY_BYTES) {
      throw new Sse3Error('KEY_FORMAT', `${source}: a key must be exactly ${KEY_BYTES} bytes, got ${raw.length}`,
        'generate one with: sse3 keygen file:PATH');
    }
    this.#raw = Buffer.from(raw);
    this.source = source;
    this.fingerprint = fingerprintOf(this.#raw);
    this.keyMd5 = createHash('md5').update(this.#raw).digest('base64');
  }

  /** The three SSE-C request parameters, computed once per key. */
  sseC(): SseCParams {
    this.#params ??= {
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: this.#raw.toString('base64'),
      SSECustomerKeyMD5: this.keyMd5,
    };
    return this.#params;
  }

  copySourceSseC(): CopySourceSseCParams {
    const p = this.sseC();
    return {
      CopySourceSSECustomerAlgorithm: p.SSECustomerAlgorithm,
      CopySourceSSECustomerKey: p.SSECustomerKey,
      CopySourceSSECustomerKeyMD5: p.SSECustomerKeyMD5,
    };
  }

  /** Base64 of the key, for writing it to a key store. Callers must not print it. */
  exportBase64(): string {
    return this.#raw.toString('base64');
  }

  toString(): string {
    return `SseCKey(${this.fingerprint} from ${this.source})`;
  }

  toJSON(): object {
    return { fingerprint: this.fingerprint, source: this.source };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** One-way, domain-separated: SHA-256(label || key), first 80 bits in hex. */
export function fingerprintOf(raw: Uint8Array): string {
  return createHash('sha256').update(FINGERPRINT_LABEL).update(raw).digest('hex').slice(0, FINGERPRINT_HEX_CHARS);
}

export { isFingerprint } from './fingerprint.js';

const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

/** Decode the base64 text of a 32-byte key (surrounding white space allowed). */
export function decodeBase64Key(text: string, source: string): SseCKey {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new Sse3Error('KEY_FORMAT', `${source} is empty`, 'it must hold the base64 of 32 bytes (44 characters)');
  }
  if (!BASE64_32_BYTES.test(trimmed)) {
    throw new Sse3Error('KEY_FORMAT', `${source} is not the base64 of a 32-byte key (${trimmed.length} characters)`,
      'a key is 32 random bytes; its base64 is 44 characters ending in "=" — make one with: sse3 keygen');
  }
  return new SseCKey(Buffer.from(trimmed, 'base64'), source);
}

/**
 * A key file holds either exactly 32 raw bytes or the base64 of 32 bytes with
 * optional trailing white space. The two cannot be confused: base64 of 32 bytes
 * is 44 characters.
 */
export function parseKeyFileContent(content: Buffer, source: string): SseCKey {
  if (content.length === KEY_BYTES) return new SseCKey(content, source);
  if (content.length === 0) {
    throw new Sse3Error('KEY_FORMAT', `${source} is empty`, 'a key file holds 32 raw bytes or their base64');
  }
  const text = content.toString('latin1');
  if (/^[\x20-\x7e\s]*$/.test(text)) return decodeBase64Key(text, source);
  throw new Sse3Error('KEY_FORMAT', `${source} holds ${content.length} bytes of binary data, not a 32-byte key`,
    'a key file holds exactly 32 raw bytes or their base64; make one with: sse3 keygen file:PATH');
}

/**
 * A key held in an environment variable, in the forms `keys import` reads that a variable can hold: the guide's
 * 32-character text secret (aws-cli sends its characters as the key), the base64 of 32 bytes or 64 hex digits.
 */
export function parseEnvKey(value: string, source: string): SseCKey {
  if (value.trim() === '') {
    throw new Sse3Error('KEY_FORMAT', `${source} is empty`, 'it must hold the base64 of 32 bytes (44 characters), 64 hex digits ' +
      'or a 32-character text secret');
  }
  try {
    return parseImportedKey(Buffer.from(value, 'utf8'), source).key;
  } catch (e) {
    if (!(e instanceof Sse3Error)) throw e;
    throw new Sse3Error('KEY_FORMAT', e.message, 'set it to the base64 of a 32-byte key (44 characters), 64 hex digits or ' +
      'a 32-character text secret; a new key: sse3 keygen file:PATH');
  }
}

/** How a key to import is written: raw bytes, the guide's 32-character text secret, base64 or hex. */
export type KeyImportFormat = 'raw' | 'text' | 'base64' | 'hex';

const ACCEPTED = 'accepted: 32 raw bytes (e.g. openssl rand 32), a 32-character text secret, ' +
  'the base64 of 32 bytes (44 characters) or 64 hex digits';

/** Without one trailing newline (LF or CRLF), as `echo` and editors leave it. */
function withoutTrailingNewline(content: Buffer): Buffer {
  if (content.length > 1 && content[content.length - 2] === 0x0d && content[content.length - 1] === 0x0a) return content.subarray(0, -2);
  if (content.length > 0 && content[content.length - 1] === 0x0a) return content.subarray(0, -1);
  return content;
}

/**
 * A key someone already has, in any of the forms SSE-C guides produce. Detected unless `format` is given: exactly 32
 * bytes are the key itself (also a 32-character text secret, whose ASCII bytes aws-cli sends as the key; one trailing
 * newline is ignored), 44 base64 characters or 64 hex digits are decoded. Anything else is refused with what was
 * found; the message never contains the content.
 */
export function parseImportedKey(content: Buffer, source: string, format?: KeyImportFormat): { key: SseCKey; format: KeyImportFormat } {
  if (content.length === 0) throw new Sse3Error('KEY_FORMAT', `${source} is empty`, ACCEPTED);
  const bytes = content.length === KEY_BYTES ? content : withoutTrailingNewline(content);
  const text = content.toString('latin1').trim();
  const printable = /^[\x20-\x7e]*$/.test(bytes.toString('latin1'));
  const refuse = (what: string) => new Sse3Error('KEY_FORMAT', `${source} ${what}`, ACCEPTED);
  switch (format) {
    case 'raw':
      if (bytes.length !== KEY_BYTES) throw refuse(`holds ${bytes.length} bytes, not the 32 of a raw key`);
      return { key: new SseCKey(bytes, source), format };
    case 'text':
      if (!printable) throw refuse('is not a text secret (it holds characters other than printable ASCII)');
      if (bytes.length !== KEY_BYTES) throw refuse(`holds ${bytes.length} characters, not the 32 of a text secret`);
      return { key: new SseCKey(bytes, source), format };
    case 'base64': {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
        throw refuse(`is not base64 (${text.length} characters, not all of them base64)`);
      }
      const raw = Buffer.from(text, 'base64');
      if (raw.length !== KEY_BYTES) throw refuse(`is the base64 of ${raw.length} bytes, not of 32`);
      return { key: new SseCKey(raw, source), format };
    }
    case 'hex':
      if (!/^[0-9a-fA-F]*$/.test(text)) throw refuse(`is not hex (${text.length} characters, not all of them hex digits)`);
      if (text.length !== 2 * KEY_BYTES) throw refuse(`holds ${text.length} hex digits, not 64`);
      return { key: new SseCKey(Buffer.from(text, 'hex'), source), format };
    case undefined:
      // 31 characters and a newline is a text secret one character short, not a raw key (force --format raw if it is).
      if (bytes.length === KEY_BYTES && withoutTrailingNewline(bytes).length < KEY_BYTES
        && /^[\x20-\x7e]*$/.test(withoutTrailingNewline(bytes).toString('latin1'))) {
        throw refuse(`holds ${withoutTrailingNewline(bytes).length} characters and a newline, which is no key format sse3 knows`);
      }
      if (bytes.length === KEY_BYTES) return { key: new SseCKey(bytes, source), format: printable ? 'text' : 'raw' };
      if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return parseImportedKey(content, source, 'base64');
      if (/^[0-9a-fA-F]{64}$/.test(text)) return parseImportedKey(content, source, 'hex');
      throw refuse(`holds ${bytes.length} ${printable ? 'characters' : 'bytes'}, which is no key format sse3 knows`);
  }
}
