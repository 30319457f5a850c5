import type { SseCKey } from '../keys/key.js';
import type { Io } from './context.js';
import { headWithKey, type OpenedObject } from './keyed.js';
import type { ObjectVersionRef } from './tags.js';

/**
 * Trying keys on an object whose key sse3 does not know (adopt), or whose recorded key the server refuses (an object
 * overwritten outside sse3): a keyed HEAD per candidate, never a GET, until one is echoed.
 */

/** A key that may be tried, with the ref that names it (for the report, never the key). */
export interface Candidate {
  ref: string;
  key: SseCKey;
}

/**
 * The keys to try, one per fingerprint. The key that opened the most objects so far is tried first: a bucket written
 * with one key costs one keyed HEAD per object however many candidates there are.
 */
export class CandidateKeys {
  readonly #keys: Candidate[] = [];
  readonly #hits = new Map<string, number>();

  constructor(keys: Iterable<Candidate>) {
    for (const k of keys) if (!this.#keys.some((c) => c.key.fingerprint === k.key.fingerprint)) this.#keys.push(k);
  }

  get size(): number {
    return this.#keys.length;
  }

  ordered(): Candidate[] {
    return [...this.#keys].sort((a, b) => (this.#hits.get(b.key.fingerprint) ?? 0) - (this.#hits.get(a.key.fingerprint) ?? 0));
  }

  byFingerprint(fp: string): Candidate | undefined {
    return this.#keys.find((c) => c.key.fingerprint === fp);
  }

  hit(fp: string): void {
    this.#hits.set(fp, (this.#hits.get(fp) ?? 0) + 1);
  }
}

/** What trying keys found: the key that opens the version (with its HEAD's answer), 'plain' (no key applies), or nothing. */
export type OpeningKey = { key: SseCKey; ref: string; opened: OpenedObject } | 'plain' | undefined;

/**
 * A keyed HEAD with each key in turn until one opens the version (headWithKey: its answer echoes that key's MD5). A
 * server that answers a keyed HEAD of a plain object with 200 and no SSE-C (Ceph RGW) says 'plain'. A missing object
 * is thrown, as is a failure that is not an answer about the key (the server not answering).
 */
export async function findOpeningKey(io: Io, obj: ObjectVersionRef, keys: Candidate[]): Promise<{ match: OpeningKey; tried: number }> {
  let tried = 0;
  for (const c of keys) {
    tried++;
    const r = await headWithKey(io, obj, c.key, { op: 'head' });
    if (r.verdict === 'opens') return { match: { key: c.key, ref: c.ref, opened: r.answer }, tried };
    if (r.verdict === 'plain') return { match: 'plain', tried };
    if (r.verdict === 'missing') throw r.error;
  }
  return { match: undefined, tried };
}
