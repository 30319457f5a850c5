import { Sse3Error } from '../errors.js';
import type { KeyImportFormat } from './key.js';
import type { SseCKey } from './key.js';

/**
 * A key written out in one of the forms `keys import` reads back (and aws-cli takes): the 32 raw bytes
 * (`fileb://PATH`), base64 or hex text with a newline, or the 32 characters of a text secret, the key's own bytes
 * (only for a key that is one: its bytes are printable ASCII). The bytes are the key: callers write them only where
 * the user asked for the key.
 */
export function encodeKey(key: SseCKey, format: KeyImportFormat): Buffer {
  const raw = Buffer.from(key.exportBase64(), 'base64');
  switch (format) {
    case 'raw':
      return raw;
    case 'base64':
      return Buffer.from(`${key.exportBase64()}\n`);
    case 'hex':
      return Buffer.from(`${raw.toString('hex')}\n`);
    case 'text':
      if (!/^[\x20-\x7e]*$/.test(raw.toString('latin1'))) {
        throw new Sse3Error('USAGE', `key ${key.fingerprint} is not a text secret (its bytes are not all printable characters), ` +
          'so it has no text form', 'choose --format raw, base64 or hex');
      }
      return raw;
  }
}
