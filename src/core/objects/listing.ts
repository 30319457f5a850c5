import { Sse3Error } from '../../errors.js';
import type { ListedObject } from '../../s3/list.js';
import { headWithoutKey } from './keyless.js';
import type { Session } from '../session/session.js';
import { sameVersion, tagsConfirm } from '../recorded.js';
import { readSse3Tags } from '../tags.js';

/** What ls shows of one object (version): the listing's facts plus what only sse3 knows. */
export interface ListedRow {
  bucket: string;
  key: string;
  size: number;
  lastModified: string | null;
  /** '' for unversioned objects. */
  versionId: string;
  isLatest: boolean;
  encryption: 'sse-c' | 'none' | 'unknown';
  fingerprint: string | null;
  /** Whether sse3 finds the key here; null when there is no key to find (plain) or it is not known which. */
  keyAvailable: boolean | null;
  /** Where encryption and fingerprint come from: the manifest (no request), the object's tags, a keyless HEAD. */
  source: 'manifest' | 'tag' | 'head' | null;
}

/**
 * Describe one listed object. The manifest answers without a request when its record is of the listed version
 * (sameVersion: a teammate's rotation is another version, also where it kept the ETag). Otherwise, unless `fast`, the
 * sse3-fp tag is read (a record it confirms keeps the listed time, so the next ls asks nothing), and an untagged object
 * gets a HEAD without a key, which tells SSE-C (400/403) from plain (200). Tags that cannot be read are an error, as
 * everywhere in sse3 (readSse3Tags).
 */
export async function describeListed(s: Session, bucket: string, v: ListedObject, opts: { fast?: boolean; versions?: boolean })
  : Promise<ListedRow> {
  const base = { bucket, key: v.key, size: v.size, lastModified: v.lastModified?.toISOString() ?? null, versionId: v.versionId,
    isLatest: v.isLatest };
  const withKey = async (row: Omit<ListedRow, 'keyAvailable'>): Promise<ListedRow> =>
    ({ ...row, keyAvailable: row.fingerprint ? (await s.findKey(row.fingerprint)) !== undefined : null });
  const location = { endpoint: s.conn.endpoint, bucket, key: v.key };
  const row = opts.versions ? s.manifest.lookup(location, v.versionId) : s.manifest.lookup(location);
  const recorded = row && sameVersion(row, v);
  if (row && recorded?.same) {
    if (recorded.pin) s.manifest.pinListed(row, recorded.pin);
    return withKey({ ...base, encryption: 'sse-c', fingerprint: row.fingerprint, source: 'manifest' });
  }
  const unknown: ListedRow = { ...base, encryption: 'unknown', fingerprint: null, keyAvailable: null, source: null };
  if (opts.fast) return unknown;
  const obj = { bucket, key: v.key, versionId: v.versionId };
  try {
    // Tags that may not be read are an error (readSse3Tags): an object is never shown as untagged on a guess.
    const tags = await readSse3Tags(s, obj, { what: 'key fingerprint', op: 'tagging' });
    if (row && v.lastModified && tagsConfirm(row, tags)) {
      s.manifest.pinListed(row, v.lastModified.toISOString());
      return withKey({ ...base, encryption: 'sse-c', fingerprint: row.fingerprint, source: 'manifest' });
    }
    if (tags.fingerprint) return withKey({ ...base, encryption: 'sse-c', fingerprint: tags.fingerprint, source: 'tag' });
    const state = await headWithoutKey(s, obj);
    return { ...base, encryption: state.state === 'plain' ? 'none' : 'sse-c', fingerprint: null, keyAvailable: null, source: 'head' };
  } catch (e) {
    // Deleted since the listing: nothing more to say about it.
    if (e instanceof Sse3Error && e.code === 'NO_OBJECT') return unknown;
    throw e;
  }
}
