import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import type { ManifestEntry } from '../../manifest/store.js';
import { describeS3Error, statusOf } from '../../s3/errors.js';
import { folderScopeOf, formatS3Url, type S3Location } from '../../s3/url.js';
import type { OpenedObject } from '../keyed.js';
import { searchKey } from './search.js';
import { readSse3Tags } from '../tags.js';
import type { Session } from './session.js';

export interface ObjectKey {
  key?: SseCKey;
  /** The manifest's record of the object (the given version, else the latest). */
  entry?: ManifestEntry;
  /** Fingerprint that encrypted the object, from the manifest or the object's tag (or the key that opened it). */
  fingerprint?: string;
  /** How the key was found, for head's report: 'search' — no record named it, or the one recorded was refused; it was tried. */
  foundBy?: 'option' | 'manifest' | 'tag' | 'search';
  /** The SHA-256 the object's sse3-sha256 tag records, when the fingerprint came from its tags. */
  tagSha256?: string;
  /** A plain (unencrypted) object that nothing records as encrypted: no key applies to it. */
  plain?: true;
  /** Found by trying keys: what the keyed HEAD that opened the object answered (a record is made from it). */
  opened?: OpenedObject;
  /** The record a search showed out of date: its key refused, another key opening the object (overwritten outside sse3). */
  replaced?: ManifestEntry;
}

/**
 * Neither the manifest nor a tag knows the object's key: a HEAD without a key tells what it is. Missing: "does not
 * exist"; served without a key: plain; refused for want of a key (400, as AWS and Ceph RGW answer for SSE-C objects):
 * it is SSE-C, and only the key is unknown.
 */
async function stateWithoutKey(s: Session, loc: S3Location, versionId: string | undefined, op: KeyLookupOp): Promise<'plain' | 'sse-c'> {
  let h;
  try {
    h = await s.conn.objects.headObject({ Bucket: loc.bucket, Key: loc.key, VersionId: versionId }, { abortSignal: s.signal });
  } catch (e) {
    if (statusOf(e) === 400) return 'sse-c';
    throw describeS3Error(e, { op, url: formatS3Url(loc) });
  }
  return h.SSECustomerAlgorithm === undefined ? 'plain' : 'sse-c';
}

/** The command a key lookup is for, so its errors name it. */
export type KeyLookupOp = 'get' | 'head' | 'copy' | 'rotate';

/** The option that gives a key to open an object: an s3 → s3 copy's --key is the destination's. */
export const keyOption = (op: KeyLookupOp): string => (op === 'copy' ? '--source-key' : '--key');

/**
 * The one "sse3 cannot find the key" error: what the key folder, SSE3_KEY or the keychain held that could not be used
 * (a key file others may read, a locked keychain…) is said with it, and then fixing that comes first in the hint —
 * not "put its key file in the key folder" where it may already be.
 */
export function keyNotFound(s: Session, message: string, op: KeyLookupOp, fingerprint?: string): Sse3Error {
  const problems = s.keyProblems();
  // The reference the key was last used from (a key file outside the key folder, say) is where to look first.
  const seen = fingerprint === undefined ? undefined : s.lastSeen(fingerprint);
  const lastSeen = seen ? `; it was last seen at ${seen.ref} (${seen.why})` : '';
  const elsewhere = `${seen ? `put it back at ${seen.ref}, or ` : ''}pass it with ${keyOption(op)} REF, put its key file in ${s.paths.keyDir}, ` +
    'set SSE3_KEY, or store it in the keychain (service sse3)';
  return new Sse3Error('NO_KEY', (problems.length ? `${message} (could not use: ${problems.join('; ')})` : message) + lastSeen,
    problems.length ? `if the key is among those sse3 could not use, do what is said there; otherwise ${elsewhere}` : elsewhere);
}

/**
 * The key for an object. The fingerprint that encrypted it comes from the manifest (else the object's tag); the
 * key with that fingerprint is taken from the keys given with --key, else from the keys sse3 finds by itself. A
 * single given key is used as given when nothing matches or no fingerprint is recorded: the server then says
 * whether it opens the object (not with givenAsCandidates: then it is one candidate among the others). With required=false, a missing key is reported in the result instead of thrown.
 * Required, and nothing names the key: a plain object is `plain` (with opts.plain; else NOT_ENCRYPTED), and the key of
 * an SSE-C one is searched for among the keys sse3 can find (searchKey), as adopt does.
 */
export async function keyForObject(s: Session, loc: S3Location,
  opts: { versionId?: string; required: boolean; op: KeyLookupOp; plain?: boolean; givenAsCandidates?: boolean }): Promise<ObjectKey> {
  const location = { endpoint: s.conn.endpoint, ...loc };
  const entry = s.manifest.lookup(location, opts.versionId);
  // A batch over many objects (rotate -r, cp -r) takes even one given key as a candidate: the objects are under several keys.
  const [single] = s.givenKeys.length === 1 && !opts.givenAsCandidates ? s.givenKeys : [];
  // One key given: no need to read the tag to decide, exactly as before candidates existed.
  if (single && (!entry || entry.fingerprint !== single.fingerprint)) {
    s.keyUsed(single);
    return { key: single, entry, fingerprint: entry?.fingerprint, foundBy: 'option' };
  }
  // The sse3-fp tag is readable without the key; one that cannot be read is an error, not "no record".
  const tagged = entry ? undefined : await readSse3Tags(s, { ...loc, versionId: opts.versionId }, { what: 'key fingerprint', op: opts.op });
  const fingerprint = entry?.fingerprint ?? tagged?.fingerprint;
  const foundBy = entry ? 'manifest' as const : 'tag' as const;
  const noneGiven = s.givenKeys.length ? ' (none of the keys given with --key has it)' : '';
  if (!fingerprint) {
    if (!opts.required) return { entry };
    return unrecorded(s, loc, opts);
  }
  const key = await s.findKey(fingerprint);
  if (!key) {
    if (!opts.required) return { entry, fingerprint, foundBy };
    throw keyNotFound(s, `${formatS3Url(loc)} needs the key with fingerprint ${fingerprint}, which sse3 cannot find${noneGiven}`, opts.op,
      fingerprint);
  }
  s.keyUsed(key);
  return { key, entry, fingerprint, foundBy: s.givenKeys.includes(key) ? 'option' : foundBy, tagSha256: tagged?.sha256 };
}

/** An object whose key nothing records: plain, or SSE-C with its key searched for among the keys sse3 can find. */
async function unrecorded(s: Session, loc: S3Location, opts: { versionId?: string; op: KeyLookupOp; plain?: boolean }): Promise<ObjectKey> {
  const url = formatS3Url(loc);
  const sseC = await stateWithoutKey(s, loc, opts.versionId, opts.op) === 'sse-c';
  const search = sseC ? await searchKey(s, { ...loc, versionId: opts.versionId }, []) : undefined;
  if (!sseC || search?.match === 'plain') {
    if (opts.plain) return { plain: true };
    throw new Sse3Error('NOT_ENCRYPTED', `${url} is not encrypted with SSE-C, so there is no key to use for it`,
      `encrypt it with: sse3 adopt ${folderScopeOf(loc)} --encrypt-plain --key REF`);
  }
  if (!search?.match) {
    throw new Sse3Error('NO_KEY', `sse3 has no record of which key encrypted ${url}, and none of the ${search?.candidates ?? 0} ` +
      'key(s) it can find opens it', `pass the key with ${keyOption(opts.op)} REF, or bring it in (sse3 keys import) and record the object with: ` +
      `sse3 adopt ${folderScopeOf(loc)}`);
  }
  const { key, opened } = search.match;
  return { key, fingerprint: key.fingerprint, foundBy: 'search', opened };
}
