import { Sse3Error } from '../../errors.js';
import type { ListedObject } from '../../s3/list.js';
import { runBatch } from '../runtime/batch.js';
import type { Io } from '../context.js';
import { isWholeBucket, listScope, listScopeVersions, type Scope } from '../session/scope.js';
import { readSse3Tags } from '../tags.js';
import { headWithoutKey } from '../objects/keyless.js';
import { isVersionUnreadable } from './tag-scan.js';
import { boundScanMemory } from '../runtime/memory.js';

/**
 * Which keys the objects in a bucket need, from the objects themselves: every object's sse3-fp tag (readable
 * without a key), whoever wrote it. This, not a manifest, is what may say a key is no longer needed: a manifest
 * knows only what was written or read through it. The scan streams: counts per fingerprint are kept, the objects
 * are not, and V8's heap is bounded while it runs (core/runtime/memory.ts), so memory stays flat however
 * many objects there are.
 */

export interface KeyUse {
  /** Current versions (objects) that need the key. */
  objects: number;
  /** Versions that need it, the current ones included (the same as objects without --versions). */
  versions: number;
}

export interface UsageScan {
  scopes: Scope[];
  allVersions: boolean;
  /** Object versions looked at. */
  scanned: number;
  byFingerprint: Map<string, KeyUse>;
  /** SSE-C versions with no sse3-fp tag: not written (or adopted) by sse3, so which key they need is unknown. */
  untagged: KeyUse;
  /** Versions with no sse3-fp tag that the server serves without a key: plain, they need none. */
  plain: KeyUse;
  /** Versions whose tags could not be read (access denied, a server error): they may need any key. */
  unreadable: KeyUse;
  /** Why the first unreadable version could not be read. */
  firstUnreadable?: Sse3Error;
}

/** One scanned object version, for listing the objects that need a given key. */
export interface ScannedVersion {
  bucket: string;
  key: string;
  versionId: string;
  isLatest: boolean;
  size: number;
  fingerprint?: string;
}

const zero = (): KeyUse => ({ objects: 0, versions: 0 });
const useOf = (uses: Map<string, KeyUse>, fingerprint: string): KeyUse => {
  let use = uses.get(fingerprint);
  if (!use) uses.set(fingerprint, use = zero());
  return use;
};
/** What one whole-bucket scope of a scan found, kept as that bucket's latest scan (manifest/bucket-scans.ts). */
const wholeBucketTally = () => ({ scanned: 0, untagged: 0, unreadable: 0, keys: new Map<string, KeyUse>() });
const add = (use: KeyUse, v: ListedObject) => { use.versions++; if (v.isLatest) use.objects++; };

export interface UsageOptions {
  allVersions?: boolean;
  /** Tag reads at most in flight at once. */
  jobs: number;
  /** Called for every version whose tag was read (in completion order). */
  onVersion?: (v: ScannedVersion) => void;
  /** Called after each version, with the number scanned so far. */
  onProgress?: (scanned: number) => void;
}

/** Scan scopes: list them (every version with allVersions) and read each version's tags, `jobs` at a time. */
export async function scanKeyUsage(io: Io, scopes: Scope[], opts: UsageOptions): Promise<UsageScan> {
  const young = boundScanMemory();
  try {
    return await scanScopes(io, scopes, opts, young.check);
  } finally {
    young.end();
  }
}

async function scanScopes(io: Io, scopes: Scope[], opts: UsageOptions, onItem: () => void): Promise<UsageScan> {
  const scan: UsageScan = { scopes, allVersions: Boolean(opts.allVersions), scanned: 0, byFingerprint: new Map(),
    untagged: zero(), plain: zero(), unreadable: zero() };
  for (const scope of scopes) {
    let fatal: unknown;
    const whole = isWholeBucket(scope) ? wholeBucketTally() : undefined;
    const listing = opts.allVersions ? listScopeVersions(io, scope) : listScope(io, scope);
    await runBatch(listing, async (v) => {
      if (fatal) return;
      onItem();
      const obj = { bucket: scope.bucket, key: v.key, versionId: v.versionId };
      let tags;
      let plain = false;
      try {
        tags = await readSse3Tags(io, obj, { what: 'key fingerprint', op: 'tagging' });
        // No tag: a keyless HEAD tells a plain object (it needs no key) from an SSE-C one whose key is unknown.
        if (!tags.fingerprint) plain = (await headWithoutKey(io, obj)).state === 'plain';
      } catch (e) {
        // Gone between the listing and the read: it needs no key any more.
        if (e instanceof Sse3Error && e.code === 'NO_OBJECT') return;
        if (!isVersionUnreadable(e)) {
          fatal ??= e;
          return;
        }
        scan.firstUnreadable ??= e;
        add(scan.unreadable, v);
        if (whole) whole.unreadable++;
        scan.scanned++;
        if (whole) whole.scanned++;
        opts.onProgress?.(scan.scanned);
        return;
      }
      scan.scanned++;
      if (whole) whole.scanned++;
      if (tags.fingerprint) {
        add(useOf(scan.byFingerprint, tags.fingerprint), v);
        if (whole) add(useOf(whole.keys, tags.fingerprint), v);
      } else {
        add(plain ? scan.plain : scan.untagged, v);
        if (whole && !plain) whole.untagged++;
      }
      opts.onVersion?.({ bucket: scope.bucket, key: v.key, versionId: v.versionId, isLatest: v.isLatest, size: v.size,
        fingerprint: tags.fingerprint });
      opts.onProgress?.(scan.scanned);
    }, () => undefined, { jobs: opts.jobs, signal: io.signal });
    if (fatal) throw fatal;
    if (io.signal?.aborted) throw new Sse3Error('INTERRUPTED', 'the scan was interrupted');
    // A whole bucket scanned to its end is that bucket's latest scan: keys rm never removes a key it found in use.
    if (whole) {
      io.manifest.recordBucketScan({ endpoint: io.conn.endpoint, bucket: scope.bucket, scannedAt: new Date().toISOString(),
        allVersions: scan.allVersions, ...whole });
    }
  }
  return scan;
}

/** How many versions a scan says need a key (0: no object in the scanned scopes needs it). */
export const usesOf = (scan: UsageScan, fingerprint: string): KeyUse => scan.byFingerprint.get(fingerprint) ?? zero();
