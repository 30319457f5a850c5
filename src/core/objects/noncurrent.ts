import { Sse3Error } from '../../errors.js';
import type { ListedObject } from '../../s3/list.js';
import { parseS3Url } from '../../s3/url.js';
import { listLevel } from '../../s3/list.js';
import type { Io } from '../context.js';
import { runBatch } from '../runtime/batch.js';
import { isVersionUnreadable } from '../scans/tag-scan.js';
import { listScopeVersions, parseScope } from '../session/scope.js';
import { readSse3Tags } from '../tags.js';
import { headWithoutKey } from './keyless.js';
import type { RemoveTarget } from './remove.js';

/**
 * rm --noncurrent: the versions of objects that are not their object's current version (of an object deleted behind a
 * delete marker, every version), optionally only those under one key. This is how a key stops being needed by older
 * versions: they are deleted, never rewritten — a version's id and date are what make it that version, and a copy
 * under a new key would be another version with another id and date. A version worth keeping is copied out first
 * (sse3 cp URL --version-id V DST --key NEW), or made current again (sse3 cp URL --version-id V URL).
 */

/** What rm --noncurrent deletes, and what it kept because it could not tell the version's key. */
export interface NoncurrentSelection {
  targets: RemoveTarget[];
  /** With a fingerprint: versions with no sse3-fp tag and no record here (their key is unknown), kept. */
  unknown: number;
  /** With a fingerprint: versions whose tags could not be read, kept; the first reason. */
  unreadable: number;
  firstUnreadable?: Sse3Error;
}

/**
 * The noncurrent versions of one object, or (recursive) of everything under a prefix, in listing order. With a
 * fingerprint only those under that key: by the version's sse3-fp tag, which the server keeps with the version
 * (what keys usage counts), else by this manifest's record of that version. Delete markers are never selected.
 */
export async function noncurrentVersions(io: Io, target: string, opts: { recursive?: boolean; fingerprint?: string; jobs: number })
  : Promise<NoncurrentSelection> {
  const sel: NoncurrentSelection = { targets: [], unknown: 0, unreadable: 0 };
  const found: Array<RemoveTarget | undefined> = [];
  let fatal: unknown;
  await runBatch(olderVersions(io, target, Boolean(opts.recursive)), async ({ bucket, v, at }) => {
    if (fatal) return;
    const t = { bucket, key: v.key, versionId: v.versionId };
    if (opts.fingerprint === undefined) {
      found[at] = t;
      return;
    }
    try {
      const fingerprint = await keyOfVersion(io, t);
      if (fingerprint === opts.fingerprint) found[at] = t;
      // Plain versions need no key; an SSE-C one that neither its tag nor a record names may need any.
      else if (fingerprint === undefined && (await headWithoutKey(io, t)).state === 'sse-c') sel.unknown++;
    } catch (e) {
      // Deleted meanwhile: nothing left to delete.
      if (e instanceof Sse3Error && e.code === 'NO_OBJECT') return;
      if (!isVersionUnreadable(e)) {
        fatal ??= e;
        return;
      }
      sel.unreadable++;
      sel.firstUnreadable ??= e;
    }
  }, () => undefined, { jobs: opts.jobs, signal: io.signal });
  if (fatal) throw fatal;
  if (io.signal?.aborted) throw new Sse3Error('INTERRUPTED', 'looking for noncurrent versions was interrupted');
  sel.targets = found.filter((t): t is RemoveTarget => t !== undefined);
  return sel;
}

/** The noncurrent versions in scope, each with its place in the listing (the order they are reported in). */
async function* olderVersions(io: Io, url: string, recursive: boolean): AsyncGenerator<{ bucket: string; v: ListedObject; at: number }> {
  const loc = parseS3Url(url);
  const listing = recursive ? listScopeVersions(io, parseScope(url)) : versionsOf(io, loc.bucket, loc.key);
  let at = 0;
  for await (const v of listing) if (!v.isLatest) yield { bucket: loc.bucket, v, at: at++ };
}

/** The versions (not delete markers) of exactly one object. */
async function* versionsOf(io: Io, bucket: string, key: string): AsyncGenerator<ListedObject> {
  for await (const e of listLevel(io.conn, bucket, key, { versions: true }, io.signal)) if (e.kind === 'object' && e.key === key) yield e;
}

/** The key a version needs: its sse3-fp tag, else this manifest's record of it; undefined when neither says. */
async function keyOfVersion(io: Io, t: RemoveTarget): Promise<string | undefined> {
  const tagged = (await readSse3Tags(io, t, { what: 'key fingerprint', op: 'tagging' })).fingerprint;
  return tagged ?? io.manifest.lookup({ endpoint: io.conn.endpoint, bucket: t.bucket, key: t.key }, t.versionId)?.fingerprint;
}
