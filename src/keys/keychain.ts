import { Sse3Error } from '../errors.js';
import { shown } from './likeness.js';

/** Keychain entries live under this service; the entry name is the account. */
export const KEYCHAIN_SERVICE = 'sse3';

/** The OS keychain as sse3 needs it: values are base64 key text. */
export interface Keychain {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  list(): Promise<Array<{ name: string; value: string }>>;
  /** Remove the entry; false when there was none. */
  delete(name: string): Promise<boolean>;
}

const UNAVAILABLE_HINT =
  'start a Secret Service keyring (e.g. gnome-keyring) in this session, or use a key file (file:PATH) or env:VAR';

/**
 * sse3 never asks the keyring to unlock itself (no prompt, for reads and writes alike): a locked keyring is said, with
 * how to unlock it.
 */
const LOCKED_HINT = 'unlock it, then run the command again (log in to the desktop session, or unlock the login keyring in ' +
  '"Passwords and Keys", Seahorse); sse3 never prompts for the keyring password; meanwhile a key file (file:PATH) or env:VAR works';

function keychainError(action: string, e: unknown): Sse3Error {
  const detail = e instanceof Error ? e.message : String(e);
  // The Secret Service answers IsLocked to a search of a locked collection; the library reports a refused unlock as a
  // dismissed prompt.
  if (/IsLocked|is locked|locked object|unlock prompt/i.test(detail)) {
    return new Sse3Error('KEYCHAIN', `the keychain is locked (${action})`, LOCKED_HINT, { cause: e });
  }
  const unavailable = /platform storage|AccessDenied|dbus|D-Bus|zbus|secret service|no such interface|ServiceUnknown|connect/i.test(detail);
  return new Sse3Error('KEYCHAIN',
    unavailable ? `the OS keychain is not available (${action}): ${detail}` : `keychain ${action} failed: ${detail}`,
    unavailable ? UNAVAILABLE_HINT : undefined, { cause: e });
}

/** Two or more entries answer to one name (in one keyring, or in several): which holds the key cannot be told. */
function ambiguousEntry(name: string, count: number): Sse3Error {
  return new Sse3Error('KEYCHAIN', `keychain entry ${shown(name)} is stored ${count} times (service ${KEYCHAIN_SERVICE}, account ` +
    `${shown(name)}, in one keyring or several): sse3 cannot tell which one is the key`,
  `see them with: secret-tool search --all service ${KEYCHAIN_SERVICE} username ${name} — keep the one that is the key and delete ` +
    'the others (e.g. in "Passwords and Keys", Seahorse), or give the key as file:PATH or env:VAR');
}

/** The real keychain through @napi-rs/keyring, loaded only when a keychain ref is used. */
export class OsKeychain implements Keychain {
  /**
   * Read through the listing rather than the library's single-entry lookup: that one asks a locked keyring to unlock
   * (a prompt on a desktop) where the listing does not, and reports two entries of one name as a raw dump. Reads then
   * behave the same whether a key is named (put --key keychain:NAME) or found by fingerprint (get without --key).
   */
  async get(name: string): Promise<string | null> {
    const matches = (await this.list()).filter((entry) => entry.name === name);
    if (matches.length > 1) throw ambiguousEntry(name, matches.length);
    return matches[0]?.value ?? null;
  }

  async set(name: string, value: string): Promise<void> {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    try {
      await new AsyncEntry(KEYCHAIN_SERVICE, name).setPassword(value);
    } catch (e) {
      throw keychainError(`storing ${shown(name)}`, e);
    }
  }

  async delete(name: string): Promise<boolean> {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    try {
      return await new AsyncEntry(KEYCHAIN_SERVICE, name).deleteCredential();
    } catch (e) {
      throw keychainError(`removing ${shown(name)}`, e);
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
  async delete(name: string) { return this.entries.delete(name); }
}
