import { Sse3Error } from '../../errors.js';
import type { ManifestStore, ScanFinding } from '../../manifest/store.js';
import { formatScope } from '../session/scope.js';

/**
 * What may keep a key from being removed (sse3 keys rm), read from this home alone (no request is made): the objects
 * this manifest records under it, what the latest whole-bucket scan of each bucket found (keys usage s3://B, and the
 * scans rotate and rm make), and the default scopes it serves.
 */
export interface KeyRemovalCheck {
  fingerprint: string;
  /** Object versions this manifest records under the key, per endpoint and bucket. */
  recorded: Array<{ endpoint: string; bucket: string; versions: number }>;
  /** Buckets whose latest whole-bucket scan found versions that need the key. */
  scansInUse: ScanFinding[];
  /** Default scopes (s3://BUCKET[/PREFIX]) that use the key when no --key is given. */
  defaultScopes: string[];
}

/**
 * The default scopes a key serves (sse3 keys default), as s3://BUCKET[/PREFIX]: a key one of them names is never
 * removed, even with --force, since the next put there would need it. This is the one place keys rm asks; the store of
 * defaults (kept in the manifest's database, beside these records) answers here.
 */
export function defaultScopesServedBy(manifest: ManifestStore, fingerprint: string): string[] {
  // The same scope on two endpoints is named once.
  return [...new Set(manifest.defaultScopesOf(fingerprint).map(formatScope))];
}

export function keyRemovalCheck(manifest: ManifestStore, fingerprint: string): KeyRemovalCheck {
  return { fingerprint, recorded: manifest.recordedBucketsOf(fingerprint), scansInUse: manifest.scansFindingKey(fingerprint),
    defaultScopes: defaultScopesServedBy(manifest, fingerprint) };
}

const buckets = (list: Array<{ bucket: string }>) => [...new Set(list.map((r) => `s3://${r.bucket}`))];
const versionsIn = (list: Array<{ versions: number }>) => list.reduce((n, r) => n + r.versions, 0);

/**
 * Why the key may not be removed, or undefined when it may. A default scope and a whole-bucket scan that found the
 * key in use refuse even with force; what this manifest records refuses only without it (a manifest knows only what
 * was written or read through it, and its records may name objects deleted since).
 */
export function removalRefusal(c: KeyRemovalCheck, force: boolean): Sse3Error | undefined {
  const fp = c.fingerprint;
  if (c.defaultScopes.length) {
    return new Sse3Error('KEY_IN_USE', `key ${fp} is the default key of ${c.defaultScopes.join(', ')}: it is never removed while it ` +
      'is (not even with --force)', `unset that default first: sse3 keys default --unset ${c.defaultScopes[0]}`);
  }
  if (c.scansInUse.length) {
    const first = c.scansInUse[0];
    const where = c.scansInUse.map((s) => `s3://${s.bucket} (${s.versions} version(s), scanned ${s.scannedAt})`).join(', ');
    return new Sse3Error('KEY_IN_USE', `the latest whole-bucket scan found object versions that need key ${fp} in ${where}: ` +
      'it is never removed while they may (not even with --force)',
    `move them to another key (sse3 rotate s3://${first.bucket} --recursive --to REF; older versions: sse3 keys usage ${fp} ` +
      `s3://${first.bucket} --versions says what to do), then scan again: sse3 keys usage ${fp} ${buckets(c.scansInUse).join(' ')} --versions`);
  }
  if (c.recorded.length && !force) {
    const names = buckets(c.recorded);
    return new Sse3Error('KEY_IN_USE', `this manifest records ${versionsIn(c.recorded)} object version(s) under key ${fp} ` +
      `(in ${names.join(', ')}): objects encrypted with it cannot be read without it`,
    `see what each bucket really needs: sse3 keys usage ${fp} ${names.join(' ')} --versions; move them with sse3 rotate ` +
      `--fingerprint ${fp} --to REF; --force removes the key anyway, unless a whole-bucket scan found it in use`);
  }
  return undefined;
}
