import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';

export interface S3Location {
  bucket: string;
  /** Object key, or a prefix; '' for the whole bucket. */
  key: string;
}

const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

/** A bucket name sse3 accepts: S3's rules, plus the upper case and underscores of older and non-AWS servers. */
export const isBucketName = (name: string): boolean => BUCKET.test(name);

export const isS3Url = (text: string): boolean => text.startsWith('s3://');

/** An http(s):// operand of get or put: a presigned link (sse3 presign), used with its key and no credentials. */
export const isLink = (text: string): boolean => /^https?:\/\//i.test(text);

/** S3's longest object key, in bytes of its UTF-8 encoding. */
export const MAX_KEY_BYTES = 1024;

/**
 * A key S3 can store: at most 1024 bytes of UTF-8. Checked before any request — for a key typed in a URL and for one
 * sse3 makes (a folder destination plus a file name, a prefix plus a relative path) — rather than learnt from the
 * server's InvalidObjectName.
 */
export function assertKeyLength(loc: S3Location): void {
  const bytes = Buffer.byteLength(loc.key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    const start = formatS3Url({ bucket: loc.bucket, key: loc.key.slice(0, 40) });
    throw new Sse3Error('BAD_URL', `the key of ${shown(start)}… is ${bytes} bytes long; S3 keys are at most ${MAX_KEY_BYTES} bytes`,
      'choose a shorter key (or a shorter prefix or file name)');
  }
}

/**
 * Parse s3://BUCKET/KEY. With requireKey, a bare bucket or a key ending in "/" (a folder) is refused — unless exact:
 * then the key is taken as written, naming the object whose key ends in "/" (--exact of get, head and rm).
 */
export function parseS3Url(text: string, opts: { requireKey?: boolean; exact?: boolean } = {}): S3Location {
  const hint = 'write it as s3://BUCKET/KEY';
  if (!isS3Url(text)) throw new Sse3Error('BAD_URL', `not an s3:// URL: ${shown(text)}`, hint);
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!isBucketName(bucket)) throw new Sse3Error('BAD_URL', `${shown(text)} does not name a valid bucket`, hint);
  if (opts.requireKey && key === '') throw new Sse3Error('BAD_URL', `${shown(text)} names no object`, hint);
  if (opts.requireKey && key.endsWith('/') && !opts.exact) {
    throw new Sse3Error('BAD_URL', `${shown(text)} names a folder, not an object`, `${hint}; for the object whose key ends in "/", add --exact`);
  }
  assertKeyLength({ bucket, key });
  return { bucket, key };
}

export const formatS3Url = (loc: S3Location): string => `s3://${loc.bucket}/${loc.key}`;

/** The scope (see Scopes in the README) of the folder an object is in: s3://BUCKET/FOLDER/, or the bucket at its top. */
export const folderScopeOf = (loc: S3Location): string => `s3://${loc.bucket}/${loc.key.slice(0, loc.key.lastIndexOf('/') + 1)}`;

/** The last path segment of an object key, used when a local destination is a folder. */
export function baseName(key: string): string {
  const parts = key.split('/').filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

/** A destination ending in "/" (or a bare bucket) names a folder. */
export const namesFolder = (loc: S3Location): boolean => loc.key === '' || loc.key.endsWith('/');

/** In a folder destination the object takes the source's name; any other destination is the object's name. */
export function objectKeyFor(dst: S3Location, name: string): S3Location {
  if (!namesFolder(dst)) return dst;
  const loc = { bucket: dst.bucket, key: dst.key + name };
  assertKeyLength(loc);
  return loc;
}
