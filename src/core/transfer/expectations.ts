import type { ObjectInfo } from '../../s3/objects.js';
import { Sse3Error } from '../../errors.js';
import type { Io } from '../context.js';
import { mtimeFromMetadata, readSse3Tags, sse3Values, tagsAbout } from '../tags.js';

/**
 * What a download is checked against: the size, SHA-256 and mtime recorded when sse3 wrote the object (the manifest's
 * record of that version, else the object's metadata or tag), before a byte is written and after the last one.
 */

/** What the manifest recorded for the object, if anything: checked against what comes back. */
export interface DownloadExpectation {
  /** Plaintext SHA-256 recorded at upload, and for which version. */
  sha256?: string;
  versionId?: string;
  /** Fingerprint recorded, for a precise wrong-key message. */
  fingerprint?: string;
  /** Plaintext size recorded at upload (for versionId). */
  size?: number;
  /** Source file mtime recorded for that version (whole ms). */
  mtimeMs?: number;
}

/** Where the expected SHA-256 came from; 'none' when nothing recorded one (not written by sse3). */
export type ChecksumSource = 'manifest' | 'metadata' | 'tag' | 'none';

/** The SHA-256 the plaintext must have, and where it was recorded. */
export interface Expected {
  sha256?: string;
  source: ChecksumSource;
}

/** What a transfer handed out: its size and SHA-256, computed over the bytes in order. */
export interface Received {
  bytes: number;
  sha256: string;
}

/** The record is about the version the server answered with (or either side does not say which). */
const recordedVersionMatches = (exp: DownloadExpectation, first: ObjectInfo) =>
  !exp.versionId || !first.VersionId || exp.versionId === first.VersionId;

/** A size that differs from the one recorded at upload is a changed object: said before anything is written. */
export function checkRecordedSize(url: string, exp: DownloadExpectation, first: ObjectInfo, size: number): void {
  if (exp.size === undefined || !recordedVersionMatches(exp, first) || exp.size === size) return;
  throw new Sse3Error('INTEGRITY', `${url} is ${size} bytes on the server, but ${exp.size} bytes were recorded at upload`,
    'the object was changed or truncated after sse3 wrote it; nothing was written (sse3 verify --deep checks the rest)');
}

/**
 * The recorded checksum: the manifest's (for this version), else the object's metadata, else its tag (multipart
 * uploads carry it only there) when the tags are about this data (tagsAbout: written for the key `fingerprint` that
 * opened it and the upload its metadata names). A tag that cannot be read fails the download: it is never taken for
 * "none recorded".
 */
export async function expectedChecksum(io: Io, object: { bucket: string; key: string }, exp: DownloadExpectation, first: ObjectInfo,
  fingerprint: string | undefined): Promise<Expected> {
  if (exp.sha256 && recordedVersionMatches(exp, first)) return { sha256: exp.sha256, source: 'manifest' };
  const version = { bucket: object.bucket, key: object.key, versionId: first.VersionId };
  const metadata = sse3Values(first.Metadata, version, 'metadata');
  if (metadata.sha256) return { sha256: metadata.sha256, source: 'metadata' };
  // A presigned link opens the object and nothing else: its tags cannot be read through it.
  if (io.conn.objects.kind === 'link') return { source: 'none' };
  const tags = await readSse3Tags(io, version, { what: 'SHA-256', op: 'get' });
  const sha256 = tagsAbout(tags, fingerprint, first.Metadata) ? tags.sha256 : undefined;
  return { sha256, source: sha256 ? 'tag' : 'none' };
}

/** The modification time recorded for the object: the manifest's for this version, else the one in its metadata. */
export const recordedMtime = (exp: DownloadExpectation, first: ObjectInfo): number | undefined =>
  (exp.mtimeMs !== undefined && recordedVersionMatches(exp, first) ? exp.mtimeMs : undefined) ?? mtimeFromMetadata(first.Metadata);

/**
 * Size and SHA-256 of what was handed out, against what was announced and recorded. `written` says where the data
 * already went when it could not be held back until now (stdout, a FIFO); otherwise nothing was kept.
 */
export function checkReceived(url: string, size: number, got: Received, exp: Expected, written?: string): void {
  const already = written ? `; ${written}` : '';
  if (got.bytes !== size) {
    throw new Sse3Error('INTEGRITY', `${url}: received ${got.bytes} bytes, the server announced ${size}${already}`,
      written ? 'discard what was written, and try again' : 'try again; nothing was written locally');
  }
  if (exp.sha256 && exp.sha256 !== got.sha256) {
    throw new Sse3Error('INTEGRITY',
      `${url}: SHA-256 of the decrypted data does not match the one recorded at upload (${exp.source})${already}`,
      written ? 'the object was changed or corrupted after sse3 wrote it; discard what was written'
        : 'the object was changed or corrupted after sse3 wrote it; nothing was written locally');
  }
}
