import { Sse3Error } from '../errors.js';
import { isBucketName } from '../s3/url.js';
import { httpsEndpointIdentity } from '../s3/endpoint.js';
import { versionIdOf } from '../s3/version.js';
import { type EndpointAlias, isObjectKey, TOKEN, type ManifestEntry, type PendingUpload, recordableMtime, type RotationRecord } from './entry.js';

// What `sse3 manifest export` writes and `sse3 manifest import` reads: the whole manifest as one JSON document.
// No SQLite here: every record that enters the manifest from outside — an export, or a backup read row by row — is
// checked here, field by field, before anything is written.

export interface ManifestDocument {
  /** Newest first per object, as `manifest export` lists them. */
  objects: ManifestEntry[];
  pendingRotations: RotationRecord[];
  /** Without their tokens: a token is what proves an object this manifest's upload wrote, and stays in it. */
  pendingUploads: Array<Omit<PendingUpload, 'token'>>;
  aliases: EndpointAlias[];
}

/**
 * What an import takes from a file: its records, checked and with endpoints in the manifest's identity, and how many
 * open rotations and uploads (another manifest's journal) it left out. A journal entry is an instruction to act on
 * an object — re-encrypt it, tag it, record it — that only the sse3 which wrote it may carry out.
 */
export interface ImportedRecords {
  /** Newest first per object. */
  objects: ManifestEntry[];
  aliases: EndpointAlias[];
  notImported: { rotations: number; uploads: number };
}

export const DOCUMENT_FORMAT = 'sse3-manifest';
export const DOCUMENT_VERSION = 1;

const FINGERPRINT = /^[0-9a-f]{20}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Check {
  /** Said of a bad value: "objects[3].size is not <what>". */
  what: string;
  valid(v: unknown): boolean;
  /** The value as the manifest records it; default: as given. */
  normal?(v: unknown): unknown;
}

const isText = (v: unknown): v is string => typeof v === 'string';

const FIELDS = {
  endpoint: { what: 'an https:// endpoint', valid: (v) => httpsEndpointIdentity(v) !== undefined, normal: httpsEndpointIdentity },
  bucket: { what: 'a valid bucket name', valid: (v) => isText(v) && isBucketName(v) },
  // What the manifest records (entry.ts): 1 to 1024 bytes of well-formed UTF-8 (S3's limit), without NUL.
  objectKey: { what: 'a valid object key (1 to 1024 bytes of UTF-8, without NUL)', valid: isObjectKey },
  versionId: { what: 'a valid version id (printable ASCII, or "" for an unversioned bucket)', valid: (v) => isText(v) && TOKEN.test(v),
    normal: (v) => versionIdOf(v as string) },
  etag: { what: 'a valid ETag (printable ASCII without quotes)', valid: (v) => isText(v) && TOKEN.test(v) },
  fingerprint: { what: 'a valid fingerprint (20 lowercase hex digits)', valid: (v) => isText(v) && FINGERPRINT.test(v) },
  // Absent, null or '' when the object's checksum is not known.
  sha256: { what: 'a valid SHA-256 (64 lowercase hex digits, or empty)',
    valid: (v) => v === undefined || v === null || v === '' || (isText(v) && SHA256.test(v)), normal: (v) => v ?? '' },
  size: { what: 'a valid size (a whole number of bytes, 0 or more)', valid: (v) => Number.isSafeInteger(v) && (v as number) >= 0 },
  // As sse3 writes them (Date.toISOString), and a real calendar date: 2026-02-31 is not one.
  date: { what: 'a valid date (like 2026-01-31T12:00:00.000Z)', valid: (v) => isText(v) && ISO_DATE.test(v) && isoRoundTrip(v) },
  // Added later (what a listing showed, or a bound of it): absent or null in older exports.
  optionalDate: { what: 'a valid date (like 2026-01-31T12:00:00.000Z), or null',
    valid: (v) => v === undefined || v === null || (isText(v) && ISO_DATE.test(v) && isoRoundTrip(v)), normal: (v) => v ?? null },
  // Added later (a file's mtime): absent or null in older exports.
  mtime: { what: 'a valid modification time (whole milliseconds since the epoch, or null)',
    valid: (v) => v === undefined || v === null || recordableMtime(v as number) === v, normal: (v) => v ?? null },
} satisfies Record<string, Check>;

function isoRoundTrip(text: string): boolean {
  const t = Date.parse(text);
  return Number.isFinite(t) && new Date(t).toISOString() === text;
}

type Shape = Record<string, Check>;
// Every field of the record type, each with its check: a field added to the type and not checked here does not compile.
const OBJECT = { endpoint: FIELDS.endpoint, bucket: FIELDS.bucket, key: FIELDS.objectKey, versionId: FIELDS.versionId,
  fingerprint: FIELDS.fingerprint, size: FIELDS.size, sha256: FIELDS.sha256, etag: FIELDS.etag, createdAt: FIELDS.date,
  mtimeMs: FIELDS.mtime, lastModified: FIELDS.optionalDate, modifiedBefore: FIELDS.optionalDate } satisfies Record<keyof ManifestEntry, Check>;
const ALIAS = { alias: FIELDS.endpoint, endpoint: FIELDS.endpoint } satisfies Record<keyof EndpointAlias, Check>;

/** Where a bad record was found, said without its value (the file might hold anything, a key given by mistake). */
export type ImportFault = (what: string) => Sse3Error;

/** Only the fields of the shape (anything else in the record is left out), each checked and normalised. */
function pick(fault: ImportFault, where: string, item: unknown, shape: Shape): Record<string, unknown> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fault(`${where} is not a record`);
  const out: Record<string, unknown> = {};
  for (const [name, check] of Object.entries(shape)) {
    const value = (item as Record<string, unknown>)[name];
    if (!check.valid(value)) throw fault(`${where}.${name} ${value === undefined ? 'is missing' : `is not ${check.what}`}`);
    out[name] = check.normal ? check.normal(value) : value;
  }
  return out;
}

/**
 * The one check of records that enter the manifest from outside, an export's or a backup's: the first bad one is
 * named (`objects[3].size is not …`) and nothing is taken. Endpoints come out in the manifest's identity.
 */
export function checkRecords(fault: ImportFault, raw: { objects: unknown[]; aliases: unknown[] },
  notImported: ImportedRecords['notImported']): ImportedRecords {
  return {
    objects: raw.objects.map((item, i) => pick(fault, `objects[${i}]`, item, OBJECT) as unknown as ManifestEntry),
    aliases: raw.aliases.map((item, i) => pick(fault, `aliases[${i}]`, item, ALIAS) as unknown as EndpointAlias),
    notImported,
  };
}

const exportFault = (source: string): ImportFault => (what) => new Sse3Error('USAGE',
  `${source} is not a valid sse3 manifest export: ${what}`,
  'import what sse3 manifest export wrote, or a backup from the backups folder next to the manifest');

/** Parse and check an export; nothing in it is trusted until every record has the right fields. */
export function parseManifestDocument(text: string, source: string): ImportedRecords {
  const fault = exportFault(source);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message quotes the file, which might be anything (a key file given by mistake): not repeated.
    throw fault('not JSON');
  }
  const d = doc as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || d.format !== DOCUMENT_FORMAT) throw fault(`no "format": "${DOCUMENT_FORMAT}"`);
  if (d.version !== DOCUMENT_VERSION) throw fault(`not version ${DOCUMENT_VERSION}, the one this sse3 reads`);
  const list = (name: string, required = false): unknown[] => {
    const items = d[name] ?? (required ? undefined : []);
    if (!Array.isArray(items)) throw fault(`"${name}" is not a list`);
    return items;
  };
  // Exports of every sse3 version list open rotations and uploads: counted, never taken in.
  return checkRecords(fault, { objects: list('objects', true), aliases: list('aliases') },
    { rotations: list('pendingRotations').length, uploads: list('pendingUploads').length });
}
