import { Sse3Error } from '../errors.js';
import { shown } from './likeness.js';

/** Keychain entries live under this service; the entry name is the account. */
export const KEYCHAIN_SERVICE = 'sse3';

/** The OS keychain as sse3 needs it: values are base64 key text. */
export interface Keychain {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  list(): Promise<Array<{ name: string; value: string }>>;
}

const UNAVAILABLE_HINT =
  'start a Secret Service keyring (e.g. gnome-keyring) in this session, or use a key file (file:PATH) or env:VAR';

function keychainError(action: string, e: unknown): Sse3Error {
  const detail = e instanceof Error ? e.message : String(e);
  const unavailable = /platform storage|AccessDenied|dbus|D-Bus|zbus|secret service|no such interface|ServiceUnknown|connect/i.test(detail);
  return new Sse3Error('KEYCHAIN',
    unavailable ? `the OS keychain is not available (${action}): ${detail}` : `keychain ${action} failed: ${detail}`,
    unavailable ? UNAVAILABLE_HINT : undefined, { cause: e });
}

/** The real keychain through @napi-rs/keyring, loaded only when a keychain ref is used. */
export class OsKeychain implements Keychain {
  async get(name: string): Promise<string | null> {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    let value: string | null;
    try {
      value = (await new AsyncEntry(KEYCHAIN_SERVICE, name).getPassword()) ?? null;
    } catch (e) {
      throw keychainError(`reading ${shown(name)}`, e);
    }
    // The library answers "no entry" also when no keychain can be reached: listing tells the two apart.
    if (value === null) await this.list();
    return value;
  }

  async set(name: string, value: string): Promise<void> {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    try {
      await new AsyncEntry(KEYCHAIN_SERVICE, name).setPassword(value);
    } catch (e) {
      throw keychainError(`storing ${shown(name)}`, e);
    }
  }

  async list(): Promise<Array<{ name: string; value: string }>> {
    const { findCredentialsAsync } = await import('@napi-rs/keyring');
    try {
      const found = await findCredentialsAsync(KEYCHAIN_SERVICE);
      return found.map((c) => ({ name: c.account, value: c.password }));
    } catch (e) {
      throw keychainError('listing entries', e);
    }
  }
}

/** In-memory twin for unit tests. */
export class MemoryKeychain implements Keychain {
  readonly entries = new Map<string, string>();
  async get(name: string) { return this.entries.get(name) ?? null; }
  async set(name: string, value: string) { this.entries.set(name, value); }
  async list() { return [...this.entries].map(([name, value]) => ({ name, value })); }
}
