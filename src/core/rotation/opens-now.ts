import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import { newEntry, type ObjectLocation } from '../../manifest/store.js';
import { readSse3Tags } from '../tags.js';
import { type Opened, probe, type RotateContext } from './probe.js';

/** What the object itself says opens it now. */
export type OpensNow =
  | { state: 'key'; key: SseCKey; opened: Opened }
  | { state: 'plain' }
  | { state: 'missing' }
  /** No key sse3 has opens it; `tagged`: the key its sse3-fp tag names, when sse3 cannot find that key here. */
  | { state: 'unknown'; tagged?: string };

/**
 * Which key opens an object now, asked of the object and never of the journal: a keyed HEAD with each of `first`
 * (a rotation's new and old key), then with the key its sse3-fp tag names (readable without a key), then with every
 * other key sse3 has (given with --key, the command's own, key folder, keychain, SSE3_KEY), each answer checked to
 * echo that key's MD5 (headWithKey). A server that does not answer is an error (the caller keeps what it journalled).
 */
export async function keyOpeningNow(ctx: RotateContext, obj: { bucket: string; key: string }, first: Array<SseCKey | undefined>)
  : Promise<OpensNow> {
  const tried = new Set<string>();
  const attempt = async (key: SseCKey | undefined): Promise<OpensNow | undefined> => {
    if (!key || tried.has(key.fingerprint)) return undefined;
    tried.add(key.fingerprint);
    const p = await probe(ctx, obj.bucket, obj.key, key);
    if (p.opens) return { state: 'key', key, opened: p };
    return p.plain ? { state: 'plain' } : undefined;
  };
  try {
    for (const key of first) {
      const found = await attempt(key);
      if (found) return found;
    }
    const tagged = (await readSse3Tags(ctx.io, obj, { what: 'key fingerprint', op: 'rotate' })).fingerprint;
    const taggedKey = tagged ? await ctx.findKey(tagged) : undefined;
    const byTag = await attempt(taggedKey);
    if (byTag) return byTag;
    for (const key of await ctx.candidates?.() ?? []) {
      const found = await attempt(key);
      if (found) return found;
    }
    return { state: 'unknown', tagged: taggedKey ? undefined : tagged };
  } catch (e) {
    if (e instanceof Sse3Error && e.code === 'NO_OBJECT') return { state: 'missing' };
    throw e;
  }
}

/**
 * Make the manifest name the key that opens the object now (a rotation that lost a race, settled). A re-key never
 * changes the content: recorded only when the object still has the size (and, where its metadata or tags name one,
 * the SHA-256) the rotation journalled, keeping that checksum and mtime; other content is not adopted on the way
 * ('other-content', the row stays as it was: sse3 manifest pull records it deliberately).
 */
export async function recordOpening(ctx: RotateContext, location: ObjectLocation, now: Extract<OpensNow, { state: 'key' }>,
  journalled: { size: number; sha256: string; mtimeMs?: number }): Promise<'recorded' | 'on-record' | 'other-content'> {
  const { manifest } = ctx.io;
  const o = now.opened;
  if (manifest.lookup(location, o.versionId)?.fingerprint === now.key.fingerprint) return 'on-record';
  const sha256 = o.sha256 ?? (await readSse3Tags(ctx.io, { ...location, versionId: o.versionId }, { what: 'SHA-256', op: 'rotate' })).sha256;
  if (o.size !== journalled.size || (sha256 && journalled.sha256 && sha256 !== journalled.sha256)) return 'other-content';
  manifest.record(newEntry(location, { versionId: o.versionId, fingerprint: now.key.fingerprint, size: o.size,
    sha256: journalled.sha256 || sha256, etag: o.etag, mtimeMs: journalled.mtimeMs ?? o.mtimeMs }));
  return 'recorded';
}

/** The object's state in words, for a message: "it opens with key X now", "it is not encrypted now", "it no longer exists". */
export function opensNowText(now: OpensNow): string {
  switch (now.state) {
    case 'key': return `it opens with key ${now.key.fingerprint} now`;
    case 'plain': return 'it is not encrypted now';
    case 'missing': return 'it no longer exists';
    default: return now.tagged ? `its tag names key ${now.tagged}, which sse3 cannot find here` : 'no key sse3 can find here opens it';
  }
}
