import type { Session } from '../session/session.js';
import { unusedFingerprints } from './targets.js';
import { formatScope, type Scope } from '../session/scope.js';
import { scanKeyUsage, usesOf } from '../scans/usage.js';

/**
 * Whether a key may be retired is never decided from this manifest alone: it knows only the objects written or read
 * through it, and a teammate's objects under the same key are invisible to it. When no object recorded here needs
 * a key any more, the advice is to check every bucket that may use it (sse3 keys usage) — or, when the command
 * covered a whole bucket, the bucket is scanned (every version's sse3-fp tag) and its answer is given.
 */
export interface RetireCheck {
  fingerprint: string;
  /** Buckets the command touched: the ones to name in the check to run. */
  buckets: string[];
  /**
   * The whole bucket scanned, when there was one; what its objects' tags say. Plain versions need no key, so they never
   * keep a key in use.
   */
  scan?: { scope: string; objects: number; versions: number; untagged: number; plain: number; unreadable: number; scanned: number };
  /** Only when a scan found no version that needs the key, and none whose key is unknown. Other buckets may still use it. */
  retirable: boolean;
}

/**
 * The retirement checks for fingerprints a command moved objects away from (rotate) or whose rows it removed
 * (rm): only those no object recorded here needs; with wholeBucket, that bucket is scanned for them.
 */
export async function retirementChecks(s: Session, fingerprints: Iterable<string>, buckets: Iterable<string>,
  opts: { wholeBucket?: string; jobs: number }): Promise<RetireCheck[]> {
  const unused = unusedFingerprints(s, fingerprints);
  const names = [...new Set(buckets)].sort();
  if (!unused.length) return [];
  if (opts.wholeBucket === undefined) return unused.map((fingerprint) => ({ fingerprint, buckets: names, retirable: false }));
  const scope: Scope = { bucket: opts.wholeBucket, prefix: '' };
  const scan = await scanKeyUsage(s, [scope], { allVersions: true, jobs: opts.jobs });
  return unused.map((fingerprint) => {
    const use = usesOf(scan, fingerprint);
    const found = { scope: formatScope(scope), objects: use.objects, versions: use.versions, untagged: scan.untagged.versions,
      plain: scan.plain.versions, unreadable: scan.unreadable.versions, scanned: scan.scanned };
    return { fingerprint, buckets: names, scan: found,
      retirable: found.versions === 0 && found.untagged === 0 && found.unreadable === 0 };
  });
}
