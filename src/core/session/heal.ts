import { Sse3Error } from '../../errors.js';
import { type ManifestEntry, newEntry } from '../../manifest/entry.js';
import { folderScopeOf, formatS3Url, type S3Location } from '../../s3/url.js';
import { versionIdOf } from '../../s3/version.js';
import type { ObjectKey, Session } from './session.js';
import { headWithKey } from '../keyed.js';
import { mtimeFromMetadata, readSse3Tags } from '../tags.js';

/**
 * Self-healing records. A bucket is shared: a teammate (another manifest) may rotate an object to another key, and
 * this manifest still names the old one. When the server refuses the key the manifest names, the object's sse3-fp
 * tag (readable without a key) says which key encrypts it now; if that is another key sse3 can find here, the
 * manifest row is corrected and the operation goes on with it. The tag naming the same key is a real wrong key.
 */

export const HEALED_NOTE = "record updated from the object's tag: re-keyed elsewhere";

/** The sentence said once for a corrected record. */
export const healedLine = (url: string, from: string, to: string): string => `${url}: ${HEALED_NOTE} (key ${from} → ${to})`;

/**
 * After the server refused the key the manifest names for an object: the key its tag names, with the corrected
 * manifest row (not recorded yet: see withObjectKey). A HEAD with that key must echo it, and show the size recorded;
 * the tag's SHA-256, if any, must be the recorded one. A re-key never changes the plaintext, so the corrected row
 * keeps the recorded size, SHA-256 and mtime: content that differs is an INTEGRITY error, never adopted on the tag's
 * word. undefined when there is nothing to heal (the key did not come from the manifest, or the tag names the same
 * key or none). A tag naming a key sse3 cannot find is a NO_KEY error that says so.
 */
export async function healFromTag(s: Session, loc: S3Location, found: ObjectKey, opts: { versionId?: string; op: 'get' | 'head' | 'copy' | 'rotate' })
  : Promise<ObjectKey | undefined> {
  const recorded = found.entry;
  if (found.foundBy !== 'manifest' || !found.fingerprint || !recorded) return undefined;
  const url = formatS3Url(loc);
  const tags = await readSse3Tags(s, { ...loc, versionId: opts.versionId }, { what: 'key fingerprint', op: opts.op });
  if (!tags.fingerprint || tags.fingerprint === found.fingerprint) return undefined;
  const key = await s.findKey(tags.fingerprint);
  if (!key) {
    throw new Sse3Error('NO_KEY', `${url} was re-keyed elsewhere: its tag names key ${tags.fingerprint} (the manifest here says ` +
      `${found.fingerprint}), and sse3 cannot find that key`,
    `pass it with --key REF, put its key file in ${s.paths.keyDir}, set SSE3_KEY, or store it in the keychain (service sse3)`);
  }
  // A heal rests on this answer: it must be about the version asked for and under the tag's key, as every keyed answer.
  const head = await headWithKey(s, { ...loc, versionId: opts.versionId }, key, { op: 'head', expectedFingerprint: tags.fingerprint });
  if (head.verdict !== 'opens') throw head.error;
  const h = head.answer;
  const size = h.size;
  const differs = size !== recorded.size ? `its size (${size} bytes, ${recorded.size} recorded)`
    : tags.sha256 && recorded.sha256 && tags.sha256 !== recorded.sha256 ? 'the SHA-256 its sse3-sha256 tag names' : undefined;
  if (differs) {
    throw new Sse3Error('INTEGRITY', `${url} holds other content than recorded here: its tag names key ${tags.fingerprint} ` +
      `(the manifest here says ${found.fingerprint}), but ${differs} differs from the record, and a re-key never changes the ` +
      'content; the record was kept and the new content was not used',
    `if the new content is what you want, record it deliberately with: sse3 manifest pull ${folderScopeOf(loc)}`);
  }
  const entry = newEntry({ endpoint: s.conn.endpoint, ...loc }, { versionId: versionIdOf(h.versionId ?? opts.versionId),
    fingerprint: tags.fingerprint, size: recorded.size, sha256: recorded.sha256 || undefined, etag: h.etag,
    mtimeMs: recorded.mtimeMs ?? mtimeFromMetadata(h.metadata) });
  return { key, entry, fingerprint: tags.fingerprint, foundBy: 'tag' };
}

/**
 * Run an operation with the key found for an object; when the server refuses the key the manifest names and the
 * object's tag names another key sse3 has, the operation runs again with that key, and the corrected record is
 * written (and said once through onHealed) only once it succeeded — a get has then checked the content against the
 * recorded SHA-256 — so a heal that turns out wrong leaves the record as it was. A rotation records the corrected
 * row first: it reads the recorded SHA-256 from it and writes the rotated version's row after it. Every command that
 * reads an object with a key goes through here.
 */
export async function withObjectKey<T>(s: Session, loc: S3Location, found: ObjectKey,
  opts: { versionId?: string; op: 'get' | 'head' | 'copy' | 'rotate'; onHealed?: (line: string) => void },
  use: (found: ObjectKey) => Promise<T>): Promise<T> {
  try {
    return await use(found);
  } catch (e) {
    if (!(e instanceof Sse3Error) || e.code !== 'WRONG_KEY') throw e;
    const healed = await healFromTag(s, loc, found, opts);
    if (!healed?.entry) throw e;
    const said = () => opts.onHealed?.(healedLine(formatS3Url(loc), found.fingerprint!, healed.fingerprint!));
    if (opts.op === 'rotate') {
      s.manifest.record(healed.entry);
      said();
      return use(healed);
    }
    const result = await use(healed);
    s.manifest.record(healed.entry);
    said();
    return result;
  }
}

/**
 * An object whose key was found through its tag (no manifest row) and that was then read with it: record it, so the
 * next lookup is local.
 */
export function recordFoundByTag(s: Session, loc: S3Location, found: ObjectKey,
  seen: { versionId?: string; size: number; etag: string; sha256?: string; mtimeMs?: number }): ManifestEntry | undefined {
  if (found.foundBy !== 'tag' || found.entry || !found.fingerprint) return undefined;
  const entry = newEntry({ endpoint: s.conn.endpoint, ...loc }, { versionId: versionIdOf(seen.versionId),
    fingerprint: found.fingerprint, size: seen.size, sha256: seen.sha256 ?? found.tagSha256, etag: seen.etag, mtimeMs: seen.mtimeMs });
  s.manifest.record(entry);
  return entry;
}
