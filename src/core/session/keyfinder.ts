import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import { discoverKeys, type KeyContext, keychainUnreadable, type KnownKey, loadKey, parseKeyRef, refOfKey } from '../../keys/sources.js';

/** The references the home remembers keys were used from (file:, env:, keychain:), most recently used first. */
export interface RememberedRefs {
  refsOf(fingerprint: string): string[];
  all(): Array<{ fingerprint: string; ref: string }>;
}

/** A remembered reference that no longer gives its key, and why: for the "cannot find the key" error. */
export interface LastSeen {
  ref: string;
  why: string;
}

/**
 * Keys sse3 finds by itself, looked up once per process: a batch of 1,000 objects under keychain keys lists the
 * keychain once, not 1,000 times — also when many objects ask at the same moment (one discovery runs at a time,
 * and the others wait for it). The cheap sources (SSE3_KEY, key folder) are read first and the keychain only when
 * they do not hold the key wanted. Keys given on the command line (--key) are candidates, tried first by fingerprint.
 * A key none of those sources holds is looked for at the references the home remembers it was used from (a key file
 * outside the key folder, another variable, a keychain name), each taken only when it still holds that fingerprint.
 */
export class KeyFinder {
  readonly #given = new Map<string, SseCKey>();
  readonly #found = new Map<string, SseCKey>();
  #problems: string[] = [];
  #complete = false;
  #all?: Promise<KnownKey[]>;
  #discovery?: Promise<void>;
  readonly #remembered = new Map<string, Promise<SseCKey | undefined>>();
  readonly #lastSeen = new Map<string, LastSeen>();

  constructor(private readonly keyDir: string, private readonly ctx: KeyContext, given: SseCKey[] = [],
    private readonly refs: RememberedRefs = { refsOf: () => [], all: () => [] }) {
    for (const k of given) if (!this.#given.has(k.fingerprint)) this.#given.set(k.fingerprint, k);
  }

  /** The keys given on the command line, one per fingerprint. */
  get given(): SseCKey[] {
    return [...this.#given.values()];
  }

  async find(fingerprint: string): Promise<SseCKey | undefined> {
    const given = this.#given.get(fingerprint);
    if (given) return given;
    return (await this.#fromSources(fingerprint)) ?? this.#fromRemembered(fingerprint);
  }

  async #fromSources(fingerprint: string): Promise<SseCKey | undefined> {
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

  /** The remembered references of a key, tried once per fingerprint: the first that still holds it. */
  #fromRemembered(fingerprint: string): Promise<SseCKey | undefined> {
    let tried = this.#remembered.get(fingerprint);
    if (!tried) {
      tried = this.#tryRemembered(fingerprint);
      this.#remembered.set(fingerprint, tried);
    }
    return tried;
  }

  async #tryRemembered(fingerprint: string): Promise<SseCKey | undefined> {
    for (const ref of this.refs.refsOf(fingerprint)) {
      let key: SseCKey;
      try {
        key = await loadKey(parseKeyRef(ref), this.ctx);
      } catch (e) {
        if (!(e instanceof Sse3Error)) throw e;
        // What the sources already said could not be used (a key folder file open to others, a locked keychain) is
        // said once, among their problems.
        const said = keychainUnreadable(e) || this.#problems.some((p) => p.includes(e.message));
        if (!said && !this.#lastSeen.has(fingerprint)) this.#lastSeen.set(fingerprint, { ref, why: e.message });
        continue;
      }
      // The reference may hold another key now (a file replaced, a variable set to another key): never taken for this one.
      if (key.fingerprint === fingerprint) return key;
      if (!this.#lastSeen.has(fingerprint)) this.#lastSeen.set(fingerprint, { ref, why: `it now holds another key (${key.fingerprint})` });
    }
    return undefined;
  }

  /** Where a key sse3 could not find was last seen, and why it is not there now (after find() missed it). */
  lastSeen(fingerprint: string): LastSeen | undefined {
    return this.#lastSeen.get(fingerprint);
  }

  /** Every key of every source, and those at remembered references: a full discovery, once; later finds are answered from it. */
  async all(): Promise<KnownKey[]> {
    this.#all ??= discoverKeys(this.keyDir, this.ctx).then(async ({ keys, problems }) => {
      for (const k of keys) if (!this.#found.has(k.key.fingerprint)) this.#found.set(k.key.fingerprint, k.key);
      this.#problems = problems;
      this.#complete = true;
      const more: KnownKey[] = [];
      for (const fp of new Set(this.refs.all().map((r) => r.fingerprint))) {
        if (this.#found.has(fp) || this.#given.has(fp)) continue;
        const key = await this.#fromRemembered(fp);
        if (key) more.push({ ref: refOfKey(key) ?? key.source, key });
      }
      return [...keys, ...more];
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

