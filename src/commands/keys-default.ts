import { Sse3Error } from '../errors.js';
import { looksLikeKey, shown } from '../keys/likeness.js';
import { canonicalRef, loadKey, parseKeyRef } from '../keys/sources.js';
import type { CommandRun } from '../options.js';
import { sse3Paths } from '../paths.js';
import { endpointIdentityFor } from '../s3/client.js';
import { isS3Url } from '../s3/url.js';
import { parseScope } from '../core/session/scope.js';
import { renderDefaultList, renderDefaultSet, renderDefaultUnset } from '../output/render-key-defaults.js';

export interface KeysDefaultOptions {
  unset?: boolean;
}

const USAGE_HINT = 'sse3 keys default REF s3://BUCKET[/PREFIX] sets one, sse3 keys default --unset s3://BUCKET[/PREFIX] removes it, ' +
  'sse3 keys default lists them';

/** The scope operand: an s3:// URL, by the scope rule (s3://b/x is the folder x/). */
function scopeOf(text: string | undefined) {
  if (text === undefined || !isS3Url(text)) {
    throw new Sse3Error('USAGE', text === undefined ? 'say which bucket or folder: s3://BUCKET[/PREFIX]'
      : `not an s3:// URL: ${shown(text)}`, USAGE_HINT);
  }
  // Refused without quoting it, as an endpoint holding one is: the home keeps the scope, and keys list, keys rm and
  // every write under it would show it again later.
  if (looksLikeKey(text)) {
    throw new Sse3Error('USAGE', 'that scope holds what looks like a key; a default is set for s3://BUCKET[/PREFIX], and keys are ' +
      'never taken from the command line', 'if a key was typed there, consider it exposed and make a new one: sse3 keygen keychain:NAME');
  }
  return parseScope(text);
}

/**
 * sse3 keys default [REF s3://BUCKET[/PREFIX]] | --unset s3://BUCKET[/PREFIX]: the key put, cp, sync up and rotate
 * encrypt with under a bucket or folder when no --key (--to) is given, recorded in the home for the endpoint in use.
 * The key is loaded when it is set (it must exist), and its fingerprint kept: a reference that holds another key later
 * is refused, never silently used. Only reads and writes the home: no request leaves the process.
 */
export async function keysDefault(ref: string | undefined, scopeText: string | undefined, opts: KeysDefaultOptions,
  { g, out }: CommandRun): Promise<void> {
  // A key typed in place of a reference is refused before anything quotes it back.
  const keyRef = ref !== undefined && !(opts.unset && isS3Url(ref)) ? parseKeyRef(ref) : undefined;
  if (opts.unset && keyRef) throw new Sse3Error('USAGE', '--unset takes the scope only', USAGE_HINT);
  const scope = opts.unset ? scopeOf(ref) : keyRef ? scopeOf(scopeText) : undefined;
  const key = keyRef ? await loadKey(keyRef) : undefined;
  const endpointName = scope ? await endpointIdentityFor(g) : undefined;
  const { ManifestStore } = await import('../manifest/store.js');
  const m = new ManifestStore(sse3Paths().manifestFile);
  try {
    if (!scope) return out.show(renderDefaultList(out, m.keyDefaults()));
    const endpoint = m.resolveEndpoint(endpointName!);
    if (opts.unset) {
      const removed = m.unsetKeyDefault(endpoint, scope.bucket, scope.prefix);
      if (!removed) {
        throw new Sse3Error('USAGE', `no default key is set for s3://${scope.bucket}/${scope.prefix} on ${endpoint}`,
          'list them with: sse3 keys default');
      }
      return out.show(renderDefaultUnset(out, removed));
    }
    const old = m.bucketKeyDefaults(endpoint, scope.bucket).find((d) => d.prefix === scope.prefix);
    const set = { endpoint, bucket: scope.bucket, prefix: scope.prefix, ref: canonicalRef(keyRef!), fingerprint: key!.fingerprint,
      setAt: new Date().toISOString() };
    m.setKeyDefault(set);
    // Where the key lives is remembered like any reference a key was used from: found again if the default goes.
    m.rememberKeyRefs([{ fingerprint: set.fingerprint, ref: set.ref, used: false }]);
    out.show(renderDefaultSet(out, set, old));
  } finally {
    m.close();
  }
}
