import { describeS3Error, statusOf } from '../../s3/errors.js';
import { formatS3Url } from '../../s3/url.js';
import type { ListedObject } from '../../s3/list.js';
import { headWithoutKey } from './head.js';
import type { Session } from '../session/session.js';
import { readTags, sse3Values } from '../ssec.js';

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
 * Describe one listed object. The manifest answers without a request when it records this version (and, for a
 * current-version listing, the ETag still matches). Otherwise, unless `fast`, the sse3-fp tag is read, and an
 * untagged object gets a HEAD without a key, which tells SSE-C (400/403) from plain (200).
 */
export async function describeListed(s: Session, bucket: string, v: ListedObject, opts: { fast?: boolean; versions?: boolean })
  : Promise<ListedRow> {
  const base = { bucket, key: v.key, size: v.size, lastModified: v.lastModified?.toISOString() ?? null, versionId: v.versionId,
    isLatest: v.isLatest };
  const withKey = async (row: Omit<ListedRow, 'keyAvailable'>): Promise<ListedRow> =>
    ({ ...row, keyAvailable: row.fingerprint ? (await s.findKey(row.fingerprint)) !== undefined : null });
  const location = { endpoint: s.conn.endpoint, bucket, key: v.key };
  const row = opts.versions ? s.manifest.lookup(location, v.versionId) : s.manifest.lookup(location);
  if (row && (opts.versions || !row.etag || !v.etag || row.etag === v.etag)) {
    return withKey({ ...base, encryption: 'sse-c', fingerprint: row.fingerprint, source: 'manifest' });
  }
  const unknown: ListedRow = { ...base, encryption: 'unknown', fingerprint: null, keyAvailable: null, source: null };
  if (opts.fast) return unknown;
  const obj = { bucket, key: v.key, versionId: v.versionId };
  const tags = await readTags(s, obj).catch((e) => {
    const status = statusOf(e);
    if (status !== undefined && status >= 400 && status < 500) return undefined; // not readable: the HEAD decides
    throw describeS3Error(e, { op: 'tagging', url: formatS3Url(obj) });
  });
  const { fingerprint } = sse3Values(tags, obj, 'tag');
  if (fingerprint) return withKey({ ...base, encryption: 'sse-c', fingerprint, source: 'tag' });
  try {
    const state = await headWithoutKey(s, obj);
    return { ...base, encryption: state.state === 'plain' ? 'none' : 'sse-c', fingerprint: null, keyAvailable: null, source: 'head' };
  } catch (e) {
    // Deleted since the listing: nothing more to say about it.
    if ((e as { code?: string }).code === 'NO_OBJECT') return unknown;
    throw e;
  }
}
