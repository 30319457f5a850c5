import { Sse3Error } from '../errors.js';
import { type ManifestEntry, newEntry } from '../manifest/entry.js';
import { describeS3Error } from '../s3/errors.js';
import { formatS3Url, type S3Location } from '../s3/url.js';
import type { ObjectKey, Session } from './session.js';
import { mtimeFromMetadata, readSse3Tags, unquoteEtag } from './ssec.js';

/**
 * Self-healing records. A bucket is shared: a teammate (another manifest) may rotate an object to another key, and
 * this manifest still names the old one. When the server refuses the key the manifest names, the object's sse3-fp
 * tag (readable without a key) says which key encrypts it now; if that is another key sse3 can find here, the
 * manifest row is corrected and the operation goes on with it. The tag naming the same key is a real wrong key.
 */

export const HEALED_NOTE = "record updated from the object's tag: re-keyed elsewhere";

const normalVersion = (v: string | undefined): string => (!v || v === 'null' ? '' : v);

/** The sentence said once for a corrected record. */
export const healedLine = (url: string, from: string, to: string): string => `${url}: ${HEALED_NOTE} (key ${from} → ${to})`;

/**
 * After the server refused the key the manifest names for an object: the key its tag names, with the manifest row
 * corrected (a HEAD with that key gives the size, ETag and version to record). undefined when there is nothing to
 * heal (the key did not come from the manifest, or the tag names the same key or none). A tag naming a key sse3
 * cannot find is a NO_KEY error that says so.
 */
export async function healFromTag(s: Session, loc: S3Location, found: ObjectKey, opts: { versionId?: string; op: 'get' | 'head' | 'copy' | 'rotate' })
  : Promise<ObjectKey | undefined> {
  if (found.foundBy !== 'manifest' || !found.fingerprint) return undefined;
  const url = formatS3Url(loc);
  const tags = await readSse3Tags(s, { ...loc, versionId: opts.versionId }, { what: 'key fingerprint', op: opts.op });
  if (!tags.fingerprint || tags.fingerprint === found.fingerprint) return undefined;
  const key = await s.findKey(tags.fingerprint);
  if (!key) {
    throw new Sse3Error('NO_KEY', `${url} was re-keyed elsewhere: its tag names key ${tags.fingerprint} (the manifest here says ` +
      `${found.fingerprint}), and sse3 cannot find that key`,
    `pass it with --key REF, put its key file in ${s.paths.keyDir}, set SSE3_KEY, or store it in the keychain (service sse3)`);
  }
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  let h;
  try {
    h = await s.conn.client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key, VersionId: opts.versionId, ...key.sseC() }),
      { abortSignal: s.signal });
  } catch (e) {
    throw describeS3Error(e, { op: 'head', url, sentFingerprint: key.fingerprint, expectedFingerprint: tags.fingerprint });
  }
  const entry = newEntry({ endpoint: s.conn.endpoint, ...loc }, { versionId: normalVersion(h.VersionId ?? opts.versionId),
    fingerprint: tags.fingerprint, size: h.ContentLength ?? 0, sha256: tags.sha256, etag: unquoteEtag(h.ETag),
    mtimeMs: mtimeFromMetadata(h.Metadata) });
  s.manifest.record(entry);
  return { key, entry, fingerprint: tags.fingerprint, foundBy: 'tag' };
}

/**
 * Run an operation with the key found for an object; when the server refuses the key the manifest names and the
 * object's tag names another key sse3 has, the record is corrected (said once through onHealed) and the operation
 * runs again with that key. Every command that reads an object with a key goes through here.
 */
export async function withObjectKey<T>(s: Session, loc: S3Location, found: ObjectKey,
  opts: { versionId?: string; op: 'get' | 'head' | 'copy' | 'rotate'; onHealed?: (line: string) => void },
  use: (found: ObjectKey) => Promise<T>): Promise<T> {
  try {
    return await use(found);
  } catch (e) {
    if (!(e instanceof Sse3Error) || e.code !== 'WRONG_KEY') throw e;
    const healed = await healFromTag(s, loc, found, opts);
    if (!healed) throw e;
    opts.onHealed?.(healedLine(formatS3Url(loc), found.fingerprint!, healed.fingerprint!));
    return use(healed);
  }
}

/**
 * An object whose key was found through its tag (no manifest row) and that was then read with it: record it, so the
 * next lookup is local.
 */
export function recordFoundByTag(s: Session, loc: S3Location, found: ObjectKey,
  seen: { versionId?: string; size: number; etag: string; sha256?: string; mtimeMs?: number }): ManifestEntry | undefined {
  if (found.foundBy !== 'tag' || found.entry || !found.fingerprint) return undefined;
  const entry = newEntry({ endpoint: s.conn.endpoint, ...loc }, { versionId: normalVersion(seen.versionId),
    fingerprint: found.fingerprint, size: seen.size, sha256: seen.sha256 ?? found.tagSha256, etag: seen.etag, mtimeMs: seen.mtimeMs });
  s.manifest.record(entry);
  return entry;
}
