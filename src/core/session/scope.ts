import { Sse3Error } from '../../errors.js';
import type { ManifestEntry } from '../../manifest/store.js';
import { type ListedObject, listObjects, listObjectVersions } from '../../s3/list.js';
import { describeS3Error, statusOf } from '../../s3/errors.js';
import { formatS3Url, parseS3Url } from '../../s3/url.js';
import type { Io } from '../context.js';
import { formatShard, inShard, type Shard, shardOfKey } from '../shard.js';

/**
 * What a batch works on. One rule everywhere: `s3://b` is the whole bucket, and `s3://b/x` and `s3://b/x/` both
 * mean the folder `x/` — never `x-old/` or `x2/` beside it. The commands that take a scope to look at (verify, adopt,
 * keys usage, manifest list and pull) resolve it with resolveScope instead: `s3://b/x` is then the object x when the
 * folder x/ holds nothing, as ls shows it.
 */
export interface Scope {
  bucket: string;
  /** '' for the whole bucket, else ends in '/'; with `object`, the object's key. */
  prefix: string;
  /** One object: the key `prefix` itself, not what starts with it. */
  object?: boolean;
  /** --shard: only the keys of this worker's shard (core/shard.ts); a sharded scope is never a whole bucket's. */
  shard?: Shard;
}

export function parseScope(text: string): Scope {
  const loc = parseS3Url(text);
  return { bucket: loc.bucket, prefix: loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/` };
}

export const formatScope = (scope: Scope): string => formatS3Url({ bucket: scope.bucket, key: scope.prefix });

/** Is the key in scope: the object itself, or anything under the folder; with a shard, only that shard's keys. */
export const inScope = (scope: Scope, key: string): boolean =>
  (scope.object ? key === scope.prefix : key.startsWith(scope.prefix)) && inShard(scope.shard, key);

/** A scope covers a whole bucket: nothing left out by a prefix, an object name or a shard (what keys rm may trust). */
export const isWholeBucket = (scope: Scope): boolean => !scope.object && scope.prefix === '' && scope.shard === undefined;

/**
 * A scope as the user meant it: a bucket or a URL ending in "/" is the folder; `s3://b/x` is the folder x/ when
 * `holds` finds something in it (the manifest's records, or the server's listing, whichever the command looks at),
 * else the object x — as `ls s3://b/x` shows the object. `verify s3://b/t/j.txt` checks that object, not a folder
 * j.txt/ that nothing is in.
 */
export async function resolveScope(text: string, holds: (folder: Scope) => boolean | Promise<boolean>): Promise<Scope> {
  const loc = parseS3Url(text);
  const folder = parseScope(text);
  if (loc.key === '' || loc.key.endsWith('/') || await holds(folder)) return folder;
  return { bucket: loc.bucket, prefix: loc.key, object: true };
}

/** resolveScope's test for the commands that look at the manifest: it records something under the folder. */
export const holdsRecorded = (io: Io) => (folder: Scope): boolean => !manifestInScope(io, folder)[Symbol.iterator]().next().done;

/** resolveScope's test for the commands that look at the server: it lists some version of something under the folder. */
export const holdsListed = (io: Io) => async (folder: Scope): Promise<boolean> => {
  for await (const _ of listScopeVersions(io, folder)) return true;
  return false;
};

/**
 * An object named (resolveScope) of which nothing is there to look at: an error (exit 1), where an empty folder is a
 * fine, empty answer. `what` says where nothing was found ("recorded on ENDPOINT", "on the server").
 */
export const nothingAt = (scope: Scope, what: string, hint?: string) =>
  new Sse3Error('NO_OBJECT', `nothing at ${formatScope(scope)} ${what}`, hint ?? `see what is there with: sse3 ls ${folderOf(scope)}`);

/**
 * An object named with --shard I/N whose key is another worker's shard: what this worker says of it (undefined for an
 * object of its own shard, or a folder). Every worker of a job gets the same arguments and the object is one shard's,
 * so for the others it is nothing to do (exit 0, as for a folder whose shard holds nothing), not an object missing.
 */
export function otherShardNote(scope: Scope): string | undefined {
  if (!scope.object || !scope.shard) return undefined;
  const owner = shardOfKey(scope.prefix, scope.shard.count);
  if (owner === scope.shard.index) return undefined;
  return `${formatScope(scope)} belongs to shard ${formatShard({ index: owner, count: scope.shard.count })}, not to this worker's ` +
    `${formatShard(scope.shard)}: nothing to do here`;
}

/**
 * An object named (resolveScope) must be there (`holds` finds it): else `missing` (nothingAt). One of another worker's
 * shard is not looked for: its note (otherShardNote) is returned, for the command to say as its nothing-to-do.
 */
export async function checkNamedObject(scope: Scope, holds: (scope: Scope) => boolean | Promise<boolean>, missing: () => Sse3Error)
  : Promise<string | undefined> {
  if (!scope.object) return undefined;
  const note = otherShardNote(scope);
  if (note === undefined && !await holds(scope)) throw missing();
  return note;
}

/** For an object the manifest has no record of: adopt records it (if it is on the server). */
export const adoptHint = (scope: Scope) => `if it is on the server, record it with: sse3 adopt ${formatScope(scope)}`;

const folderOf = (scope: Scope) => formatS3Url({ bucket: scope.bucket, key: scope.prefix.slice(0, scope.prefix.lastIndexOf('/') + 1) });

/** The key of an object relative to its scope: what a copy or sync puts under another folder. */
export function relativeKey(scope: Scope, key: string): string {
  if (!key.startsWith(scope.prefix)) throw new Sse3Error('S3', `${key} is not under ${formatScope(scope)}`);
  return key.slice(scope.prefix.length);
}

/**
 * An empty object whose key ends in "/": the folder a console or `aws s3api put-object --key x/` made, not data. An
 * object whose key ends in "/" with content is data like any other (it may be SSE-C encrypted and need a key), and
 * every scan counts it; get, head and rm name it with --exact.
 */
const isFolderMarker = (o: ListedObject) => o.key.endsWith('/') && o.size === 0;

/** The current version of every object in scope, in key order; folder markers (empty "x/" objects) are not objects. */
export async function* listScope(io: Io, scope: Scope): AsyncGenerator<ListedObject> {
  for await (const o of listObjects(io.conn, scope.bucket, scope.prefix, io.signal)) if (!isFolderMarker(o) && inScope(scope, o.key)) yield o;
}

/** Every version of every object in scope, newest first per key; folder markers left out as listScope does. */
export async function* listScopeVersions(io: Io, scope: Scope): AsyncGenerator<ListedObject> {
  for await (const v of listObjectVersions(io.conn, scope.bucket, scope.prefix, io.signal)) if (!isFolderMarker(v) && inScope(scope, v.key)) yield v;
}

/**
 * Manifest entries in scope for this endpoint (every version unless latestOnly), read from the manifest a page at a
 * time; with a shard (the scope's, or `shard` when there is no scope: everything recorded on the endpoint), its keys only.
 */
export function manifestInScope(io: Io, scope: Scope | undefined,
  opts: { latestOnly?: boolean; fingerprint?: string; shard?: Shard } = {}): Iterable<ManifestEntry> {
  const entries = io.manifest.entries({ endpoint: io.conn.endpoint, bucket: scope?.bucket, prefix: scope?.prefix }, opts);
  const own = scope?.object ? onlyKey(entries, scope.prefix) : entries;
  const shard = scope?.shard ?? opts.shard;
  return shard ? onlyShard(own, shard) : own;
}

function* onlyShard<T extends { key: string }>(entries: Iterable<T>, shard: Shard): Generator<T> {
  for (const e of entries) if (inShard(shard, e.key)) yield e;
}

/** The entries of one key among those a prefix query gave (x, then x.bak and x/… after it in key order). */
export function* onlyKey<T extends { key: string }>(entries: Iterable<T>, key: string): Generator<T> {
  for (const e of entries) if (e.key === key) yield e;
}

/**
 * Does the scope's bucket exist on the server? Asked when a scope has nothing in it, to tell an empty scope
 * (fine) from a wrong bucket name (an error). A 403 means it exists (the name is taken, maybe not by us).
 */
export async function assertBucketExists(io: Io, scope: Scope): Promise<void> {
  const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await io.conn.client.send(new HeadBucketCommand({ Bucket: scope.bucket }), { abortSignal: io.signal });
  } catch (e) {
    if (statusOf(e) === 403) return;
    if (statusOf(e) === 404) {
      throw new Sse3Error('NO_BUCKET', `bucket ${scope.bucket} does not exist on ${io.conn.endpoint}`,
        'check the bucket name and the endpoint (--endpoint-url)', { cause: e });
    }
    throw describeS3Error(e, { op: 'list', url: formatScope(scope) });
  }
}
