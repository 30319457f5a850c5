import { Sse3Error } from '../errors.js';
import type { ManifestEntry, ObjectLocation } from './entry.js';

// What `sse3 manifest export` writes and `sse3 manifest import` reads: the whole manifest as one JSON document.
// No SQLite here: the document is checked field by field before anything is written.

export interface RotationIntent extends ObjectLocation {
  oldVersion: string;
  oldFingerprint: string;
  newFingerprint: string;
  size: number;
  sha256: string;
  pid: number;
  startedAt: string;
}

export interface UploadRecord extends ObjectLocation {
  uploadId: string;
  fingerprint: string;
  pid: number;
  startedAt: string;
  completing?: { sha256: string; size: number };
}

export interface ManifestDocument {
  /** Newest first per object, as `manifest export` lists them. */
  objects: ManifestEntry[];
  pendingRotations: RotationIntent[];
  pendingUploads: UploadRecord[];
  aliases: Array<{ alias: string; endpoint: string }>;
}

export const DOCUMENT_FORMAT = 'sse3-manifest';
export const DOCUMENT_VERSION = 1;

const FINGERPRINT = /^[0-9a-f]{20}$/;
const SHA256 = /^([0-9a-f]{64})?$/;

type Field = 'string' | 'count' | 'fingerprint' | 'sha256' | 'integer' | 'optionalInteger';
const ok: Record<Field, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  count: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
  integer: (v) => Number.isSafeInteger(v),
  // Fields added later (a file's mtime): absent or null in older exports.
  optionalInteger: (v) => v === undefined || v === null || Number.isSafeInteger(v),
  fingerprint: (v) => typeof v === 'string' && FINGERPRINT.test(v),
  sha256: (v) => typeof v === 'string' && SHA256.test(v),
};

const LOCATION = { endpoint: 'string', bucket: 'string', key: 'string' } as const;
const SHAPES = {
  objects: { ...LOCATION, versionId: 'string', fingerprint: 'fingerprint', size: 'count', sha256: 'sha256', etag: 'string',
    createdAt: 'string', mtimeMs: 'optionalInteger' },
  pendingRotations: { ...LOCATION, oldVersion: 'string', oldFingerprint: 'fingerprint', newFingerprint: 'fingerprint', size: 'count',
    sha256: 'sha256', pid: 'integer', startedAt: 'string' },
  pendingUploads: { ...LOCATION, uploadId: 'string', fingerprint: 'fingerprint', pid: 'integer', startedAt: 'string' },
  aliases: { alias: 'string', endpoint: 'string' },
} as const satisfies Record<keyof ManifestDocument, Record<string, Field>>;

/** Only the fields of the shape (anything else in the file is left out), each checked. */
function pick(source: string, list: string, i: number, item: unknown, shape: Record<string, Field>): Record<string, unknown> {
  if (typeof item !== 'object' || item === null) throw bad(source, `${list}[${i}] is not an object`);
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape)) {
    const value = (item as Record<string, unknown>)[name];
    if (!ok[field](value)) throw bad(source, `${list}[${i}].${name} is ${value === undefined ? 'missing' : `not a valid ${field}`}`);
    out[name] = field === 'optionalInteger' ? value ?? null : value;
  }
  return out;
}

const bad = (source: string, what: string) => new Sse3Error('USAGE', `${source} is not a valid sse3 manifest export: ${what}`,
  'import what sse3 manifest export wrote, or a backup from the backups folder next to the manifest');

/** Parse and check an export; nothing in it is trusted until every entry has the right fields. */
export function parseManifestDocument(text: string, source: string): ManifestDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message quotes the file, which might be anything (a key file given by mistake): not repeated.
    throw bad(source, 'not JSON');
  }
  const d = doc as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || d.format !== DOCUMENT_FORMAT) throw bad(source, `no "format": "${DOCUMENT_FORMAT}"`);
  if (d.version !== DOCUMENT_VERSION) throw bad(source, `not version ${DOCUMENT_VERSION}, the one this sse3 reads`);
  const lists = {} as Record<keyof ManifestDocument, unknown[]>;
  for (const [list, shape] of Object.entries(SHAPES) as Array<[keyof ManifestDocument, Record<string, Field>]>) {
    const items = d[list] ?? (list === 'objects' ? undefined : []);
    if (!Array.isArray(items)) throw bad(source, `"${list}" is not a list`);
    lists[list] = items.map((item, i) => {
      const picked = pick(source, list, i, item, shape);
      const completing = (item as { completing?: { sha256?: unknown; size?: unknown } }).completing;
      if (list === 'pendingUploads' && completing !== undefined) {
        picked.completing = pick(source, `${list}[${i}].completing`, 0, completing, { sha256: 'sha256', size: 'count' });
      }
      return picked;
    });
  }
  return lists as unknown as ManifestDocument;
}
