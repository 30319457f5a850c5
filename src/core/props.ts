import type { StorageClass } from '@aws-sdk/client-s3';
import { Sse3Error } from '../errors.js';
import type { ObjectInfo } from '../s3/objects.js';

/**
 * What a user says about an object besides its bytes — content type, cache and download headers, storage class, their
 * own metadata — and sse3's record of the file's permissions. Set at upload (put, cp, sync up), and kept by everything
 * that writes an object again from another one: s3 → s3 copies and rotations, single-part and multipart alike.
 */
export interface ObjectProps {
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  /** undefined: the server's default (STANDARD). */
  storageClass?: string;
  /** The user's metadata (x-amz-meta-NAME), names in lower case; never one of sse3's own (RESERVED_PREFIX). */
  metadata?: Record<string, string>;
  /** Permission bits (0o777) of the file uploaded, recorded in META_MODE; restored by sync down. */
  mode?: number;
}

/** Metadata names sse3 keeps for itself (sse3-fp, sse3-sha256, sse3-mtime, sse3-upload, sse3-mode, and any later one). */
export const RESERVED_PREFIX = 'sse3-';

/**
 * Object metadata (x-amz-meta-sse3-mode): the permission bits of the file an object was uploaded from, in octal
 * ("644"). Like sse3-mtime, readable only with the object's key.
 */
export const META_MODE = 'sse3-mode';

/** The content type of an upload nobody named one for, and of a name the MIME table does not know. */
export const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

/**
 * S3 keeps at most 2 KiB of metadata names and values per object; sse3's own take under 256 bytes of it, so a user's
 * are refused beyond this before anything is sent.
 */
export const MAX_USER_METADATA_BYTES = 2048 - 256;

/** An object's properties as a HEAD or GET answer states them: the user's metadata without sse3's own. */
export function propsOf(info: ObjectInfo): ObjectProps {
  const metadata = Object.fromEntries(Object.entries(info.Metadata ?? {})
    .filter(([name]) => !name.toLowerCase().startsWith(RESERVED_PREFIX)).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    contentType: info.ContentType, cacheControl: info.CacheControl, contentDisposition: info.ContentDisposition,
    storageClass: info.StorageClass, metadata, mode: modeFromMetadata(info.Metadata),
  };
}

/**
 * The properties a copy writes: the source's, each replaced by the one given for the copy (given metadata replaces the
 * source's metadata as a whole, as aws s3 cp's --metadata does).
 */
export const overridden = (source: ObjectProps, given: ObjectProps | undefined): ObjectProps => {
  const out: ObjectProps = { ...source };
  for (const [field, value] of Object.entries(given ?? {}) as Array<[keyof ObjectProps, never]>) if (value !== undefined) out[field] = value;
  return out;
};

/** Refuses upload options where nothing is uploaded (a download): said, rather than silently ignored. */
export function refuseUploadOptions(props: ObjectProps | undefined, command: string): void {
  const given = Object.entries(props ?? {}).filter(([, v]) => v !== undefined)
    .map(([field]) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  if (given.length > 0) {
    throw new Sse3Error('USAGE', `${given.join(', ')}: ${command} to a local destination writes no object to store ` +
      `${given.length > 1 ? 'them' : 'it'} with`, 'upload options apply when the destination is s3://');
  }
}

/** The request fields (PutObject, CreateMultipartUpload, CopyObject) that store the properties. */
export const propsRequest = (p: ObjectProps | undefined) => ({
  ContentType: p?.contentType ?? FALLBACK_CONTENT_TYPE,
  CacheControl: p?.cacheControl,
  ContentDisposition: p?.contentDisposition,
  StorageClass: p?.storageClass as StorageClass | undefined,
});

/** The metadata entries of the properties: the user's, and the recorded mode. */
export const propsMetadata = (p: ObjectProps | undefined): Record<string, string> =>
  ({ ...p?.metadata, ...(p?.mode === undefined ? {} : { [META_MODE]: p.mode.toString(8) }) });

/** The permission bits an object's metadata records, or undefined. */
export function modeFromMetadata(metadata: Record<string, string> | undefined): number | undefined {
  const text = metadata?.[META_MODE];
  return text !== undefined && /^[0-7]{1,3}$/.test(text) ? parseInt(text, 8) : undefined;
}

/** Header values must be printable ASCII: anything else is refused by the HTTP stack or changed by the server. */
const HEADER_TEXT = /^[\x20-\x7e]*$/;
/** A metadata name is part of a header name (x-amz-meta-NAME): letters, digits and - _ . travel through every client. */
const META_NAME = /^[A-Za-z0-9._-]+$/;

/** A value given for a header option (--content-type, --cache-control, --content-disposition), refused when it cannot travel as is. */
export function headerValue(option: string, value: string, opts: { empty?: boolean } = {}): string {
  if (!HEADER_TEXT.test(value) || value.trim() !== value || (value === '' && !opts.empty)) {
    throw new Sse3Error('USAGE', `${option} takes printable ASCII text without leading or trailing spaces`,
      'S3 stores these values as HTTP headers: encode other characters (e.g. filename*=UTF-8\'\'... in a Content-Disposition)');
  }
  return value;
}

/** --metadata KEY=VALUE options as the user's metadata: names lower-cased (as S3 stores them), each once, none of sse3's. */
export function userMetadata(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    if (eq <= 0 || !META_NAME.test(name)) {
      throw new Sse3Error('USAGE', '--metadata takes KEY=VALUE, KEY made of letters, digits and - _ .',
        'e.g. --metadata project=apollo (repeat the option for more)');
    }
    if (name.startsWith(RESERVED_PREFIX)) {
      throw new Sse3Error('USAGE', `--metadata ${name}: names starting with "${RESERVED_PREFIX}" are sse3's own (key fingerprint, ` +
        'checksum, file time and mode)', 'choose another name');
    }
    if (name in metadata) throw new Sse3Error('USAGE', `--metadata ${name} is given twice (S3 metadata names are not case-sensitive)`);
    metadata[name] = headerValue(`--metadata ${name}`, pair.slice(eq + 1), { empty: true });
  }
  const bytes = Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > MAX_USER_METADATA_BYTES) {
    throw new Sse3Error('USAGE', `--metadata holds ${bytes} bytes of names and values; S3 keeps 2 KiB per object and sse3 needs ` +
      `256 bytes of it, so at most ${MAX_USER_METADATA_BYTES}`, 'store less metadata, or keep it in the object itself');
  }
  return metadata;
}

/**
 * --storage-class: a name as S3 writes storage classes (capitals, digits, underscores). Which classes a server offers
 * cannot be asked: AWS has a fixed list, Ceph RGW those its placement targets define (STANDARD unless configured);
 * one the server does not offer is refused by it (describeWriteFailure says so in words).
 */
export function storageClassArg(value: string): string {
  if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(value)) {
    throw new Sse3Error('USAGE', '--storage-class takes a storage class name, written in capitals: letters, digits and underscores',
      'e.g. STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR (AWS), or a class your Ceph RGW placement defines');
  }
  return value;
}

let mimeTable: Promise<{ getType(path: string): string | null }> | undefined;

/** The content type a file name suggests, as aws s3 cp guesses it (the mime package's table); FALLBACK_CONTENT_TYPE for an unknown one. */
export async function guessContentType(name: string): Promise<string> {
  // Loaded on the first upload only: the table is large, and most commands never need it.
  mimeTable ??= import('mime').then((m) => m.default);
  return (await mimeTable).getType(name) ?? FALLBACK_CONTENT_TYPE;
}
