import { formatS3Url, type S3Location } from '../../s3/url.js';
import type { TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { type RotateContext, rotateObject, type RotateResult } from './rotate.js';
import { plainResult } from './plain.js';
import { listScope, manifestInScope, type Scope } from '../session/scope.js';
import { keyForObject, type Session } from '../session/session.js';
import { withObjectKey } from '../session/heal.js';
import { Sse3Error } from '../../errors.js';
import { currentIsDeleteMarker } from '../../s3/list.js';
import type { Shard } from '../shard.js';

/** Rotation as commands use it: keys found through the session, targets from a listing or the manifest. */

/**
 * `known`: keys this command holds besides the session's (rotate's --to and --from), so settling can use them too.
 * Candidates (asked which key opens an object a rotation lost): those, the keys given with --key, and every key sse3
 * finds by itself.
 */
export function rotateContext(s: Session, tuning: Tuning = {}, events: TransferEvents = {}, known: SseCKey[] = []): RotateContext {
  return {
    io: s, tuning, events,
    findKey: async (fp) => known.find((k) => k.fingerprint === fp) ?? s.findKey(fp),
    candidates: async () => [...known, ...s.givenKeys, ...(await s.allKeys()).map((k) => k.key)],
  };
}

/**
 * Rotate one object to newKey; its current key is `from`, else the one the manifest (or its tag) names. An object
 * deleted behind a delete marker (found through the manifest, which keeps its versions' rows) is skipped, not failed.
 * `many`: one of a batch, where even a single key given with --key is only a candidate (keyForObject).
 */
export async function rotateOne(s: Session, ctx: RotateContext, loc: S3Location, newKey: SseCKey, from?: SseCKey, many = false)
  : Promise<RotateResult> {
  try {
    if (from) return await rotateObject(ctx, loc.bucket, loc.key, from, newKey);
    const found = await keyForObject(s, loc, { required: true, op: 'rotate', plain: true, givenAsCandidates: many });
    if (found.plain) return plainResult(formatS3Url(loc), newKey);
    return await withObjectKey(s, loc, found, { op: 'rotate', onHealed: ctx.events?.onWarning },
      (f) => rotateObject(ctx, loc.bucket, loc.key, f.key!, newKey));
  } catch (e) {
    if (!(e instanceof Sse3Error && e.code === 'NO_OBJECT') || !(await currentIsDeleteMarker(s.conn, loc.bucket, loc.key, s.signal))) throw e;
    return deletedResult(s, loc, newKey, from);
  }
}

/** A deleted object: every version the manifest records for it is an older one now, under the key it records. */
function deletedResult(s: Session, loc: S3Location, newKey: SseCKey, from?: SseCKey): RotateResult {
  const rows = s.manifest.versions({ endpoint: s.conn.endpoint, ...loc });
  const oldFingerprint = from?.fingerprint ?? rows[0]?.fingerprint ?? '';
  return { url: formatS3Url(loc), status: 'deleted', oldFingerprint, newFingerprint: newKey.fingerprint, versionId: '',
    olderVersionsWithOldKey: rows.filter((r) => r.fingerprint === oldFingerprint).length };
}

/** An object to rotate, with its size as listed or recorded (small objects run more at once). */
export type SizedLocation = S3Location & { size: number };

/** Every object under a scope, from the server's listing. */
export async function* objectsInScope(s: Session, scope: Scope): AsyncGenerator<SizedLocation> {
  for await (const o of listScope(s, scope)) yield { bucket: scope.bucket, key: o.key, size: o.size };
}

/**
 * The latest version of every object the manifest records under a key, on this endpoint (or within a scope), read a
 * page at a time; with a shard, that shard's objects only.
 */
export function* objectsUnderKey(s: Session, fingerprint: string, scope?: Scope, shard?: Shard): Generator<SizedLocation> {
  for (const e of manifestInScope(s, scope, { latestOnly: true, fingerprint, shard })) yield { bucket: e.bucket, key: e.key, size: e.size };
}

/** Of these fingerprints, those that no object version this manifest records still needs. */
export function unusedFingerprints(s: Session, fingerprints: Iterable<string>): string[] {
  const use = s.manifest.fingerprintUse();
  return [...new Set(fingerprints)].filter((fp) => !use.get(fp));
}

/**
 * Versions the manifest still records under a key that are not their object's current version: rotation
 * re-encrypts current versions only, so these keep needing the key (in a versioned bucket).
 */
export function olderVersionsUnderKey(s: Session, fingerprint: string): { versions: number; objects: number } {
  return s.manifest.olderVersions(s.conn.endpoint, fingerprint);
}
