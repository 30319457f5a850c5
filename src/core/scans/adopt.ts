import { Writable } from 'node:stream';
import { newEntry } from '../../manifest/entry.js';
import type { ManifestEntry } from '../../manifest/store.js';
import { describeS3Error } from '../../s3/errors.js';
import type { ListedObject } from '../../s3/list.js';
import { formatS3Url } from '../../s3/url.js';
import type { Io, TransferEvents } from '../context.js';
import { downloadObject } from '../transfer/download.js';
import { faultPoint } from '../../faults.js';
import { headWithoutKey } from '../objects/keyless.js';
import type { SseCKey } from '../../keys/key.js';
import type { RotateContext } from '../rotation/rotate.js';
import { encryptPlainObject } from '../rotation/plain.js';
import { CandidateKeys, findOpeningKey } from '../candidates.js';
import { keepingKnown, sameVersion, tagsConfirm, writtenBefore } from '../recorded.js';
import { putTags, readObjectTags, sse3Values, type Tags, tagsFor } from '../tags.js';

/** S3 allows at most this many tags on an object version. */
export const MAX_TAGS = 10;

export { type Candidate, CandidateKeys } from '../candidates.js';

export interface AdoptContext {
  io: Io;
  candidates: CandidateKeys;
  /** Download each newly adopted object through its key and record its plaintext SHA-256. */
  hash: boolean;
  /** Finds a key sse3 knows by fingerprint, for objects recorded earlier (hash) or from a tag. */
  findKey: (fingerprint: string) => Promise<SseCKey | undefined>;
  /** Encrypt plain objects (their current version) in place under this key, journalled as a rotation. */
  encryptPlain?: { key: SseCKey; ref: string; rotation: RotateContext };
  events?: TransferEvents;
}

export type AdoptStatus = 'adopted' | 'known' | 'plain' | 'encrypted' | 'no-key';

export interface AdoptResult {
  url: string;
  bucket: string;
  key: string;
  /** '' for unversioned objects. */
  versionId: string;
  status: AdoptStatus;
  fingerprint: string | null;
  /** How the key became known: a candidate's HEAD echoed its key MD5, the object's sse3-fp tag, or the manifest. */
  via: 'key' | 'tag' | 'manifest' | null;
  /** The candidate that opened it. */
  keyRef: string | null;
  sha256: string | null;
  /** The SHA-256 was computed in this run. */
  hashed: boolean;
  /** sse3's tags were added in this run (false: already there, or could not be). */
  tagged: boolean;
  /** Keys tried (HEAD requests with a key). */
  tried: number;
  warning?: string;
}

/** Download through the key and hash the plaintext; nothing is written anywhere. */
async function plaintextSha256(ctx: AdoptContext, obj: { bucket: string; key: string; versionId: string }, key: SseCKey): Promise<string> {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const r = await downloadObject({ io: ctx.io, object: { bucket: obj.bucket, key: obj.key, versionId: obj.versionId || undefined },
    sseKey: key, target: { kind: 'stream', stream: sink }, events: ctx.events });
  return r.sha256;
}

/**
 * Add sse3's tags to the ones an object version has (never dropping any). Returns a warning instead of writing when
 * the merge would pass S3's limit of 10 tags.
 */
export async function mergeTags(io: Io, obj: { bucket: string; key: string; versionId: string }, existing: Tags,
  ours: Tags): Promise<{ tagged: boolean; warning?: string; serverDate?: Date }> {
  const url = formatS3Url(obj);
  const merged = { ...existing, ...ours };
  const adding = Object.keys(ours).filter((k) => existing[k] !== ours[k]);
  if (!adding.length) return { tagged: false };
  if (Object.keys(merged).length > MAX_TAGS) {
    return { tagged: false, warning: `${url} has ${Object.keys(existing).length} tags and S3 allows ${MAX_TAGS}, so sse3's ` +
      `${adding.join(' and ')} tag(s) were not added: the manifest records it, but manifest rebuild cannot recover it` };
  }
  let serverDate;
  try {
    serverDate = await putTags(io, obj, merged);
  } catch (e) {
    throw describeS3Error(e, { op: 'tagging', url });
  }
  return { tagged: true, serverDate };
}

/** Every tag of a version (adopt adds sse3's to them), read under the one tag policy: unreadable tags are an error. */
const tagsOf = async (io: Io, obj: { bucket: string; key: string; versionId: string }, what: string): Promise<Tags> =>
  (await readObjectTags(io, obj, { what, op: 'tagging' })).tags;


/**
 * Bring one listed object version under sse3's care. Known versions cost no request. Others are classified by a
 * HEAD without a key; an SSE-C one is recorded from its sse3-fp tag (confirmed by a HEAD when that key is here), or
 * else the candidate keys are tried by HEAD until one is echoed. A match is tagged (keeping the object's own tags)
 * before it is recorded, so a run killed in between finds the tag next time.
 */
export async function adoptVersion(ctx: AdoptContext, bucket: string, v: ListedObject): Promise<AdoptResult> {
  const obj = { bucket, key: v.key, versionId: v.versionId };
  const location = { endpoint: ctx.io.conn.endpoint, bucket, key: v.key };
  const base = { url: formatS3Url(obj), bucket, key: v.key, versionId: v.versionId, keyRef: null, hashed: false, tagged: false, tried: 0 };
  const row = ctx.io.manifest.lookup(location, v.versionId);
  const recorded = row && sameVersion(row, v);
  if (row && recorded?.same) {
    if (recorded.pin) ctx.io.manifest.pinListed(row, recorded.pin);
    return known(ctx, obj, row, { ...base, via: 'manifest' });
  }
  let tags: Tags | undefined;
  if (row) {
    // A record the listing cannot confirm (another version now, or a record without a time): its tags tell.
    tags = await tagsOf(ctx.io, obj, 'key fingerprint');
    if (v.lastModified && tagsConfirm(row, sse3Values(tags, obj, 'tag'))) {
      ctx.io.manifest.pinListed(row, v.lastModified.toISOString());
      return known(ctx, obj, row, { ...base, via: 'manifest' });
    }
  }

  const state = await headWithoutKey(ctx.io, obj);
  if (state.state === 'plain') {
    if (ctx.encryptPlain && v.isLatest) {
      const r = await encryptPlainObject(ctx.encryptPlain.rotation, bucket, v.key, ctx.encryptPlain.key);
      const entry = ctx.io.manifest.lookup(location, r.versionId);
      return { ...base, versionId: r.versionId, status: 'encrypted', fingerprint: r.newFingerprint, via: 'key',
        keyRef: ctx.encryptPlain.ref, sha256: entry?.sha256 || null, hashed: Boolean(entry?.sha256), tagged: true };
    }
    return { ...base, status: 'plain', fingerprint: null, via: null, sha256: null };
  }

  tags ??= await tagsOf(ctx.io, obj, 'key fingerprint');
  const tagged = sse3Values(tags, obj, 'tag').fingerprint;
  let order = ctx.candidates.ordered();
  let tried = 0;
  if (tagged) {
    const own = ctx.candidates.byFingerprint(tagged);
    // Without the tagged key here the tag is all there is to go by; with it, one HEAD confirms the tag is not stale.
    if (!own) return recordMatch(ctx, v, obj, tags, { ...base, via: 'tag' }, { fingerprint: tagged, size: v.size, etag: v.etag });
    const first = await findOpeningKey(ctx.io, obj, [own]);
    tried += first.tried;
    if (first.match && first.match !== 'plain') {
      ctx.candidates.hit(tagged);
      return recordMatch(ctx, v, obj, tags, { ...base, via: 'tag', tried }, { ...opening(first.match), fingerprint: tagged });
    }
    order = order.filter((c) => c.key.fingerprint !== tagged);
  }
  const { match, tried: more } = await findOpeningKey(ctx.io, obj, order);
  tried += more;
  if (match === 'plain') return { ...base, tried, status: 'plain', fingerprint: null, via: null, sha256: null };
  if (!match) return { ...base, tried, status: 'no-key', fingerprint: null, via: null, sha256: null };
  ctx.candidates.hit(match.key.fingerprint);
  return recordMatch(ctx, v, obj, tags, { ...base, via: 'key', tried }, { ...opening(match), fingerprint: match.key.fingerprint });
}

/** What recordMatch takes of a key that opened a version: the key, its ref, and the size and ETag its HEAD answered. */
const opening = (m: { key: SseCKey; ref: string; opened: { size: number; etag: string } }) =>
  ({ key: m.key, ref: m.ref, size: m.opened.size, etag: m.opened.etag });

type Base = Omit<AdoptResult, 'status' | 'fingerprint' | 'sha256' | 'via'> & { via: AdoptResult['via'] };

async function recordMatch(ctx: AdoptContext, v: ListedObject, obj: { bucket: string; key: string; versionId: string },
  tags: Tags, base: Base, m: { fingerprint: string; key?: SseCKey; ref?: string | null; size: number; etag: string })
  : Promise<AdoptResult> {
  const key = m.key ?? (ctx.hash ? await ctx.findKey(m.fingerprint) : undefined);
  let sha256 = sse3Values(tags, obj, 'tag').sha256;
  let warning: string | undefined;
  let hashed = false;
  if (ctx.hash && !sha256) {
    if (key) {
      sha256 = await plaintextSha256(ctx, obj, key);
      hashed = true;
    } else {
      warning = `${base.url}: key ${m.fingerprint} is not available here, so its SHA-256 could not be computed`;
    }
  }
  const tagging = await mergeTags(ctx.io, obj, tags, tagsFor(m.fingerprint, sha256));
  faultPoint('adopt-tagged');
  // The tags just written moved an unversioned object's LastModified on some servers: bounded by that answer instead.
  const stamp = tagging.tagged ? { modifiedBefore: writtenBefore(tagging.serverDate) } : { lastModified: v.lastModified?.toISOString() };
  const location = { endpoint: ctx.io.conn.endpoint, bucket: obj.bucket, key: obj.key };
  const entry = newEntry(location, { versionId: obj.versionId, fingerprint: m.fingerprint, size: m.size, sha256,
    etag: v.etag || m.etag, createdAt: v.lastModified?.toISOString(), ...stamp });
  ctx.io.manifest.record(keepingKnown(entry, ctx.io.manifest.lookup(location, obj.versionId)), { older: !v.isLatest });
  return { ...base, keyRef: m.ref ?? null, status: 'adopted', fingerprint: m.fingerprint, sha256: sha256 ?? null, hashed,
    tagged: tagging.tagged, ...(warning ?? tagging.warning ? { warning: warning ?? tagging.warning } : {}) };
}

/** A version the manifest knows: no request, unless --hash finds no SHA-256 recorded for it yet. */
async function known(ctx: AdoptContext, obj: { bucket: string; key: string; versionId: string }, row: ManifestEntry, base: Base)
  : Promise<AdoptResult> {
  const result: AdoptResult = { ...base, status: 'known', fingerprint: row.fingerprint, via: 'manifest', sha256: row.sha256 || null };
  if (!ctx.hash || row.sha256) return result;
  const key = ctx.candidates.byFingerprint(row.fingerprint)?.key ?? await ctx.findKey(row.fingerprint);
  if (!key) return { ...result, warning: `${base.url}: key ${row.fingerprint} is not available here, so its SHA-256 could not be computed` };
  const sha256 = await plaintextSha256(ctx, obj, key);
  const tagging = await recordSha256(ctx.io, row, sha256);
  return { ...result, sha256, hashed: true, tagged: tagging.tagged, ...(tagging.warning ? { warning: tagging.warning } : {}) };
}

/** A SHA-256 computed after the fact (adopt --hash, verify --deep) for a recorded version: into the manifest and its tags. */
export async function recordSha256(io: Io, row: ManifestEntry, sha256: string): Promise<{ tagged: boolean; warning?: string }> {
  const obj = { bucket: row.bucket, key: row.key, versionId: row.versionId };
  const tagging = await mergeTags(io, obj, await tagsOf(io, obj, 'SHA-256'), tagsFor(row.fingerprint, sha256));
  io.manifest.setSha256(row, row.versionId, sha256, tagging.tagged ? { modifiedBefore: writtenBefore(tagging.serverDate) ?? null } : undefined);
  return tagging;
}
