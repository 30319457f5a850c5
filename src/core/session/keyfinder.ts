import type { SseCKey } from '../../keys/key.js';
import { discoverKeys, type KeyContext, type KnownKey, loadKey, parseKeyRef } from '../../keys/sources.js';

/**
 * Keys sse3 finds by itself, looked up once per process: a batch of 1,000 objects under keychain keys lists the
 * keychain once, not 1,000 times — also when many objects ask at the same moment (one discovery runs at a time,
 * and the others wait for it). The cheap sources (SSE3_KEY, key folder) are read first and the keychain only when
 * they do not hold the key wanted. Keys given on the command line (--key) are candidates, tried first by fingerprint.
 */
export class KeyFinder {
  readonly #given = new Map<string, SseCKey>();
  readonly #found = new Map<string, SseCKey>();
  #problems: string[] = [];
  #complete = false;
  #all?: Promise<KnownKey[]>;
  #discovery?: Promise<void>;

  constructor(private readonly keyDir: string, private readonly ctx: KeyContext, given: SseCKey[] = []) {
    for (const k of given) if (!this.#given.has(k.fingerprint)) this.#given.set(k.fingerprint, k);
  }

  /** The keys given on the command line, one per fingerprint. */
  get given(): SseCKey[] {
    return [...this.#given.values()];
  }

  async find(fingerprint: string): Promise<SseCKey | undefined> {
    const given = this.#given.get(fingerprint);
    if (given) return given;
    for (;;) {
      const known = this.#found.get(fingerprint);
      if (known || this.#complete) return known;
      if (!this.#discovery) {
        this.#discovery = this.#discover(fingerprint).finally(() => { this.#discovery = undefined; });
        await this.#discovery;
        const hit = this.#found.get(fingerprint);
        // A miss means every source was read: from now on every answer comes from memory.
        if (!hit) this.#complete = true;
        return hit;
      }
      // Another lookup is reading the sources: its result may hold this key too.
      await this.#discovery;
    }
  }

  async #discover(fingerprint: string): Promise<void> {
    const { keys, problems, complete } = await discoverKeys(this.keyDir, this.ctx, fingerprint);
    for (const k of keys) if (!this.#found.has(k.key.fingerprint)) this.#found.set(k.key.fingerprint, k.key);
    this.#problems = problems;
    if (complete) this.#complete = true;
  }

  /** Every key of every source: a full discovery, once; later finds are answered from it. */
  async all(): Promise<KnownKey[]> {
    this.#all ??= discoverKeys(this.keyDir, this.ctx).then(({ keys, problems }) => {
      for (const k of keys) if (!this.#found.has(k.key.fingerprint)) this.#found.set(k.key.fingerprint, k.key);
      this.#problems = problems;
      this.#complete = true;
      return keys;
    });
    return this.#all;
  }

  get problems(): string[] {
    return this.#problems;
  }
}

/** Load the keys given with --key (each ref once), before any request: a bad ref is reported up front. */
export async function loadGivenKeys(refs: string[] | undefined): Promise<SseCKey[]> {
  const keys: SseCKey[] = [];
  for (const ref of new Set(refs ?? [])) keys.push(await loadKey(parseKeyRef(ref)));
  return keys;
}

