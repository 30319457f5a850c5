import { Sse3Error } from '../../errors.js';
import { type ManifestEntry, newEntry } from '../../manifest/entry.js';
import { folderScopeOf, formatS3Url, type S3Location } from '../../s3/url.js';
import { versionIdOf } from '../../s3/version.js';
import type { ObjectKey, Session } from './session.js';
import { type KeyLookupOp, keyNotFound, keyOption } from './objectkey.js';
import { headWithKey, type OpenedObject } from '../keyed.js';
import { searchKey } from './search.js';
import { mtimeFromMetadata, readSse3Tags, sse3Values } from '../tags.js';

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
    throw keyNotFound(s, `${url} was re-keyed elsewhere: its tag names key ${tags.fingerprint} (the manifest here says ` +
      `${found.fingerprint}), and sse3 cannot find that key`, opts.op, tags.fingerprint);
  }
  // A heal rests on this answer: it must be about the version asked for and under the tag's key, as every keyed answer.
  const head = await headWithKey(s, { ...loc, versionId: opts.versionId }, key, { op: 'head', expectedFingerprint: tags.fingerprint });
  // The tag's key is refused too: the tag is as stale as the record, and does not help (withObjectKey tries other keys).
  if (head.verdict === 'refused') return undefined;
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
    if (!healed?.entry) {
      const searched = await searchRefused(s, loc, found, { versionId: opts.versionId, op: opts.op }, e);
      // As for a heal, a rotation reads the row it rotates from: the object as the key that opens it shows it.
      if (opts.op === 'rotate') {
        const { line } = recordFound(s, loc, searched, seenByHead(loc, searched.opened!));
        if (line) opts.onHealed?.(line);
      }
      return use(searched);
    }
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
 * The key recorded for an object (in the manifest or its tag) was refused, and the tag does not name another key that
 * opens it: the object was written outside sse3 since. The keys sse3 can find are tried on it (as adopt does); the one
 * that opens it is used, and the caller records the object as it is now (recordFound), never as the content recorded.
 * A single key given with --key for another fingerprint is used as given: its refusal stands. None opens it: exit 3,
 * saying how to bring its key in.
 */
async function searchRefused(s: Session, loc: S3Location, found: ObjectKey, { versionId, op }: { versionId?: string; op: KeyLookupOp },
  refusal: Sse3Error): Promise<ObjectKey> {
  const recorded = found.fingerprint;
  // The key used must be the one recorded; one found by a search is not searched for again.
  if (!recorded || found.key?.fingerprint !== recorded || found.foundBy === 'search') throw refusal;
  const { match, candidates } = await searchKey(s, { ...loc, versionId }, [recorded]);
  if (match === 'plain') throw refusal;
  if (!match) {
    throw new Sse3Error('NO_KEY', `${formatS3Url(loc)}: key ${recorded} recorded for it no longer opens it, and none of the other ` +
      `${Math.max(candidates - 1, 0)} key(s) sse3 can find does: it was written outside sse3 under a key that is not here`,
    `pass the key that opens it with ${keyOption(op)} REF, or bring it in (sse3 keys import) and record the object again with: sse3 adopt ${folderScopeOf(loc)}`,
    { cause: refusal });
  }
  return { key: match.key, fingerprint: match.key.fingerprint, foundBy: 'search', opened: match.opened, replaced: found.entry };
}

/** What the operation that used a found key saw of the object: what its record is made of. */
export interface SeenObject {
  versionId?: string;
  size: number;
  etag: string;
  /** The plaintext SHA-256 to record: computed by a download, or the object's own sse3 checksum. */
  sha256?: string;
  mtimeMs?: number;
  /** A download: whether its content was checked against a checksum recorded for it (its own sse3-sha256, or the record). */
  downloaded?: { verified: boolean };
}

/**
 * The record an object opened with another key than the one recorded makes out of date (found by trying keys, or the
 * single key given with --key used as given): that record is of content written before, under its own key.
 */
const outdatedBy = (found: ObjectKey): ManifestEntry | undefined => found.replaced
  ?? (found.foundBy === 'option' && found.key && found.entry && found.entry.fingerprint !== found.key.fingerprint ? found.entry : undefined);

/**
 * An object whose key was found through its tag (no manifest row), by trying keys, or given for it with --key while
 * another is recorded, once it was read with that key: record it as it is now, so the next lookup is local; with the
 * line to say when a record was made or replaced that way. A record shown out of date is replaced: its size and SHA-256
 * belong to content written before, so they are kept only when a download found exactly that content again (a re-key
 * outside sse3) — never checked against, nor passed off as, the new content.
 */
export function recordFound(s: Session, loc: S3Location, found: ObjectKey, seen: SeenObject)
  : { entry?: ManifestEntry; line?: string; sameAsRecorded?: boolean } {
  const old = outdatedBy(found);
  const byTag = found.foundBy === 'tag' && !found.entry;
  const fingerprint = found.key?.fingerprint ?? found.fingerprint;
  if (!fingerprint || !(byTag || found.foundBy === 'search' || old)) return {};
  const same = old !== undefined && seen.downloaded !== undefined && old.sha256 !== '' && old.size === seen.size && old.sha256 === seen.sha256;
  const entry = newEntry({ endpoint: s.conn.endpoint, ...loc }, { versionId: versionIdOf(seen.versionId), fingerprint, size: seen.size,
    sha256: same ? old.sha256 : seen.sha256 ?? found.tagSha256, etag: seen.etag, mtimeMs: same ? old.mtimeMs : seen.mtimeMs });
  s.manifest.record(entry);
  if (byTag) return { entry };
  const url = formatS3Url(loc);
  const content = !seen.downloaded ? 'its content was not checked'
    : same ? 'the content is the one recorded (SHA-256 verified)'
      : seen.downloaded.verified ? 'its content was checked against its own sse3-sha256' : 'integrity not verified';
  const line = old ? `${url}: key ${old.fingerprint} recorded for it no longer opens it; key ${fingerprint} does ` +
      `(written outside sse3${same ? ', re-keyed' : ''}): record updated; ${content}`
    : `${url}: no record names its key; key ${fingerprint} opens it (not written by sse3): recorded; ${content}`;
  return { entry, line, sameAsRecorded: same };
}

/** What a keyed HEAD that opened an object says of it, as recordFound takes it (its own sse3 checksum and mtime, if any). */
export const seenByHead = (loc: S3Location, h: OpenedObject): SeenObject => ({ versionId: h.versionId, size: h.size, etag: h.etag,
  sha256: sse3Values(h.metadata, { ...loc, versionId: h.versionId }, 'metadata').sha256, mtimeMs: mtimeFromMetadata(h.metadata) });

/** recordFound for a key found through the tag: the row, if one was made. */
export const recordFoundByTag = (s: Session, loc: S3Location, found: ObjectKey, seen: SeenObject): ManifestEntry | undefined =>
  (found.foundBy === 'tag' ? recordFound(s, loc, found, seen).entry : undefined);
