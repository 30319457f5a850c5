import { createHash } from 'node:crypto';
import { Sse3Error } from '../errors.js';

export const KEY_BYTES = 32;

/**
 * Label mixed into every fingerprint so the value can never be confused with
 * (or computed from) any other hash of the key, such as the SSE-C key MD5
 * that S3 servers echo back in responses.
 */
const FINGERPRINT_LABEL = 'sse3 key fingerprint v1\0';
/** 80 bits: unique among any realistic set of keys, short enough to read aloud. */
const FINGERPRINT_HEX_CHARS = 20;

/** Request parameters the AWS SDK turns into the three SSE-C headers. */
export interface SseCParams {
  SSECustomerAlgorithm: 'AES256';
  SSECustomerKey: string;
  SSECustomerKeyMD5: string;
}

/** The same for the source of a server-side copy (x-amz-copy-source-server-side-encryption-customer-*). */
export interface CopySourceSseCParams {
  CopySourceSSECustomerAlgorithm: 'AES256';
  CopySourceSSECustomerKey: string;
  CopySourceSSECustomerKeyMD5: string;
}

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
