import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import type { ManifestEntry } from '../../manifest/store.js';
import { describeS3Error, statusOf } from '../../s3/errors.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import { readSse3Tags } from '../tags.js';
import type { Session } from './session.js';

export interface ObjectKey {
  key?: SseCKey;
  /** The manifest's record of the object (the given version, else the latest). */
  entry?: ManifestEntry;
  /** Fingerprint that encrypted the object, from the manifest or the object's tag. */
  fingerprint?: string;
  /** How the key was found, for head's report. */
  foundBy?: 'option' | 'manifest' | 'tag';
  /** The SHA-256 the object's sse3-sha256 tag records, when the fingerprint came from its tags. */
  tagSha256?: string;
}

/**
 * Neither the manifest nor a tag knows the object's key: a HEAD without a key tells whether there is anything to
 * find a key for. Missing: "does not exist"; served without a key: "not encrypted"; refused for want of a key
 * (400, as AWS and Ceph RGW answer for SSE-C objects): it is SSE-C, and only the key is unknown.
 */
async function assertNeedsKey(s: Session, loc: S3Location, versionId: string | undefined, op: KeyLookupOp): Promise<void> {
  const url = formatS3Url(loc);
  let h;
  try {
    h = await s.conn.objects.headObject({ Bucket: loc.bucket, Key: loc.key, VersionId: versionId }, { abortSignal: s.signal });
  } catch (e) {
    if (statusOf(e) === 400) return;
    throw describeS3Error(e, { op, url });
  }
  if (h.SSECustomerAlgorithm === undefined) {
    throw new Sse3Error('NOT_ENCRYPTED', `${url} is not encrypted with SSE-C, so there is no key to use for it`,
      `sse3 only reads SSE-C objects; read it with a plain S3 client, or encrypt it with: sse3 cp ${url} ${url} --key REF`);
  }
}

/** The command a key lookup is for, so its errors name it. */
export type KeyLookupOp = 'get' | 'head' | 'copy' | 'rotate';

/**
 * The key for an object. The fingerprint that encrypted it comes from the manifest (else the object's tag); the
 * key with that fingerprint is taken from the keys given with --key, else from the keys sse3 finds by itself. A
 * single given key is used as given when nothing matches or no fingerprint is recorded: the server then says
 * whether it opens the object. With required=false, a missing key is reported in the result instead of thrown.
 */
export async function keyForObject(s: Session, loc: S3Location,
  opts: { versionId?: string; required: boolean; op: KeyLookupOp }): Promise<ObjectKey> {
  const location = { endpoint: s.conn.endpoint, ...loc };
  const entry = s.manifest.lookup(location, opts.versionId);
  const [single] = s.givenKeys.length === 1 ? s.givenKeys : [];
  // One key given: no need to read the tag to decide, exactly as before candidates existed.
  if (single && (!entry || entry.fingerprint !== single.fingerprint)) {
    return { key: single, entry, fingerprint: entry?.fingerprint, foundBy: 'option' };
  }
  // The sse3-fp tag is readable without the key; one that cannot be read is an error, not "no record".
  const tagged = entry ? undefined : await readSse3Tags(s, { ...loc, versionId: opts.versionId }, { what: 'key fingerprint', op: opts.op });
  const fingerprint = entry?.fingerprint ?? tagged?.fingerprint;
  const foundBy = entry ? 'manifest' as const : 'tag' as const;
  const noneGiven = s.givenKeys.length ? ' (none of the keys given with --key has it)' : '';
  if (!fingerprint) {
    if (!opts.required) return { entry };
    await assertNeedsKey(s, loc, opts.versionId, opts.op);
    throw new Sse3Error('NO_KEY', `sse3 has no record of which key encrypted ${formatS3Url(loc)}`,
      s.givenKeys.length > 1 ? 'several keys were given with --key: pass the one that encrypted it'
        : 'pass the key with --key file:PATH | env:VAR | keychain:NAME');
  }
  const key = await s.findKey(fingerprint);
  if (!key) {
    if (!opts.required) return { entry, fingerprint, foundBy };
    const problems = s.keyProblems();
    const skipped = problems.length ? ` (could not use: ${problems.join('; ')})` : '';
    throw new Sse3Error('NO_KEY',
      `${formatS3Url(loc)} needs the key with fingerprint ${fingerprint}, which sse3 cannot find${noneGiven}${skipped}`,
      `pass it with --key REF, put its key file in ${s.paths.keyDir}, set SSE3_KEY, or store it in the keychain (service sse3)`);
  }
  return { key, entry, fingerprint, foundBy: s.givenKeys.includes(key) ? 'option' : foundBy, tagSha256: tagged?.sha256 };
}
