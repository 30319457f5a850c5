import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import { canonicalRef, loadKey, parseKeyRef } from '../../keys/sources.js';
import { givenWriteRef } from '../../keys/write-ref.js';
import type { KeyDefault } from '../../manifest/store.js';
import { type ConnectionOptions, endpointIdentityFor } from '../../s3/client.js';
import type { HomeManifest } from './home-manifest.js';
import { formatScope, type Scope } from './scope.js';

/** The key that encrypts a write, with where it came from: --key (or --to), SSE3_KEY, or the default of a scope. */
export interface WriteKey {
  key: SseCKey;
  /** The reference it was loaded from (file:…, env:…, keychain:…). */
  ref: string;
  /** The scope (s3://BUCKET/PREFIX/) whose default it is, when no key was given. */
  defaultOf?: string;
}

/**
 * The keys a write encrypts with: one for every object (a key given, or SSE3_KEY), or the defaults of the scopes the
 * objects land in, the longest matching prefix winning for each object.
 */
export class WriteKeys {
  /** Longest prefix first. */
  readonly #choices: Array<{ prefix: string; wk: WriteKey }>;

  constructor(choices: Array<{ prefix: string; wk: WriteKey }>) {
    this.#choices = [...choices].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The key for an object key within the target (every object key resolveWriteKeys was asked about has one). */
  for(objectKey: string): WriteKey {
    const hit = this.#choices.find((c) => objectKey.startsWith(c.prefix));
    if (!hit) throw new Error(`no write key for ${objectKey}`);
    return hit.wk;
  }

  /** Every key this write may use, one per choice. */
  get all(): WriteKey[] {
    return this.#choices.map((c) => c.wk);
  }
}

/** What a write targets: one object (its key), or every object under a scope (a batch: cp -r, sync up). */
export type WriteTarget = { bucket: string; key: string } | { scope: Scope };

const NO_KEY_HINT = (option: string, where: string) => `pass ${option} file:PATH | env:VAR | keychain:NAME, or set a default for it: sse3 keys default REF ${where} ` +
  '(make a key with: sse3 keygen keychain:NAME)';

/**
 * The write keys for a target: `given` (`option`: --key, or rotate's --to) as given; else env:SSE3_KEY when SSE3_KEY is
 * set in `env` (the command's environment, handed in); else the defaults recorded in the home for the target's endpoint
 * and bucket, read from `manifest` (the command's, which its session then works with). Each default's key is loaded
 * before any request, and must still have the fingerprint it had when it was set. With none, `missing` says so (of the
 * object or scope).
 */
export async function resolveWriteKeys(given: string | undefined, env: NodeJS.ProcessEnv, target: WriteTarget,
  g: ConnectionOptions, manifest: HomeManifest,
  { option = '--key', missing = (at: string) => `no key given for ${at}: say which key encrypts it` } = {})
  : Promise<WriteKeys> {
  const explicit = givenWriteRef(given, env);
  if (explicit !== undefined) {
    const ref = parseKeyRef(explicit);
    return new WriteKeys([{ prefix: '', wk: { key: await loadKey(ref), ref: canonicalRef(ref) } }]);
  }
  const bucket = 'scope' in target ? target.scope.bucket : target.bucket;
  const defaults = await defaultsFor(g, manifest, bucket);
  const where = 'scope' in target ? formatScope(target.scope) : `s3://${bucket}/${target.key}`;
  const covering = (prefix: string) => defaults.find((d) => prefix.startsWith(d.prefix));
  const applying = 'scope' in target
    // A batch: the default over the whole scope, and those set for folders inside it (their objects take those).
    ? [covering(target.scope.prefix), ...defaults.filter((d) => d.prefix.length > target.scope.prefix.length && d.prefix.startsWith(target.scope.prefix))]
    : [covering(target.key)];
  if (!applying[0]) {
    throw new Sse3Error('USAGE', missing(where), NO_KEY_HINT(option, formatScope({ bucket, prefix: '' })));
  }
  const choices = [];
  for (const d of applying as KeyDefault[]) choices.push({ prefix: d.prefix, wk: await loadDefault(d) });
  return new WriteKeys(choices);
}

/** The defaults of a bucket on the endpoint the options name (under its alias's name), longest prefix first. */
async function defaultsFor(g: ConnectionOptions, manifest: HomeManifest, bucket: string): Promise<KeyDefault[]> {
  const endpoint = await endpointIdentityFor(g);
  const m = manifest.store;
  return m.bucketKeyDefaults(m.resolveEndpoint(endpoint), bucket);
}

/** A default's key, refused when the reference now holds another key than the one it was set with. */
async function loadDefault(d: KeyDefault): Promise<WriteKey> {
  const scope = formatScope(d);
  const key = await loadKey(parseKeyRef(d.ref)).catch((e: unknown) => {
    if (!(e instanceof Sse3Error)) throw e;
    throw new Sse3Error(e.code, `the default key of ${scope} (${d.ref}) cannot be used: ${e.message}`,
      e.hint ?? `set another with: sse3 keys default REF ${scope}`);
  });
  if (key.fingerprint !== d.fingerprint) {
    throw new Sse3Error('WRONG_KEY', `the default key of ${scope} was set as ${d.ref} with fingerprint ${d.fingerprint}, but ${d.ref} ` +
      `now holds the key ${key.fingerprint}; nothing was written`,
    `if that is the key you mean, set it again: sse3 keys default ${d.ref} ${scope}; else put the key ${d.fingerprint} back at ${d.ref}`);
  }
  return { key, ref: d.ref, defaultOf: scope };
}
