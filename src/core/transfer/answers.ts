import { Sse3Error } from '../../errors.js';
import type { ObjectInfo } from '../../s3/objects.js';
import { folderScopeOf, formatS3Url, type S3Location } from '../../s3/url.js';
import { NULL_VERSION_ID } from '../../s3/version.js';

/**
 * What a server's answer about object data must say before sse3 believes it. A server (or anything posing as one)
 * may answer other bytes, more bytes or another version than were asked for; none of that may reach a destination
 * or be taken as proof. Every refusal is an INTEGRITY error (exit 4) naming the object.
 */

/** A value the server sent, shown in a message only when it is short and printable; otherwise described. */
export const shown = (value: string): string => (/^[\x21-\x7e]{1,128}$/.test(value) ? value : 'an unprintable or over-long value');

const refuse = (url: string, what: string) => new Sse3Error('INTEGRITY', `${url}: ${what}; nothing was written`,
  'the server does not answer as S3 does: try again, and if it persists, report it to the server\'s operator');

/** The bytes of the object an answer carries: from byte 0 of the object (`length` bytes), and the object's size. */
export interface AnsweredSpan {
  size: number;
  length: number;
}

const count = (text: string | undefined): number | undefined => {
  const n = text === undefined ? NaN : Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/**
 * Check a GET's answer against the range asked for: `start` and `end` (inclusive; undefined when the whole object was
 * asked for), and the object's `size` when an earlier answer told it. The Content-Range must name exactly the bytes
 * asked for (its end cut at the object's last byte) and the Content-Length must be that many bytes; an answer with
 * no Content-Range is the whole object, acceptable only from byte 0. Returns the object's size and the answer's length.
 */
export function answeredSpan(resp: ObjectInfo, asked: { start: number; end?: number; size?: number }, url: string): AnsweredSpan {
  const length = count(resp.ContentLength === undefined ? undefined : String(resp.ContentLength));
  if (length === undefined) throw refuse(url, 'the server\'s answer carries no valid Content-Length');
  const wanted = asked.end === undefined ? 'the whole object' : `bytes ${asked.start}-${asked.end}`;
  if (resp.ContentRange === undefined) {
    if (asked.start !== 0 || (asked.size !== undefined && length !== asked.size)) {
      throw refuse(url, `asked for ${wanted}, the server answered ${length} bytes without saying which`);
    }
    return { size: length, length };
  }
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(resp.ContentRange);
  const [start, end, size] = [count(m?.[1]), count(m?.[2]), count(m?.[3])];
  if (start === undefined || end === undefined || size === undefined || end < start || end >= size) {
    throw refuse(url, `the server's answer names no valid byte range (Content-Range ${shown(resp.ContentRange)})`);
  }
  const expectedEnd = Math.min(asked.end ?? Infinity, size - 1);
  if (start !== asked.start || end !== expectedEnd || (asked.size !== undefined && size !== asked.size)) {
    throw refuse(url, `asked for ${wanted}${asked.size !== undefined ? ` of ${asked.size}` : ''}, the server answered ` +
      `bytes ${start}-${end} of ${size}`);
  }
  if (length !== end - start + 1) {
    throw refuse(url, `the server announced bytes ${start}-${end} (${end - start + 1} bytes) but a body of ${length} bytes`);
  }
  return { size, length };
}

/** Version ids name the same version: S3 calls an unversioned object's version "null". */
const sameVersion = (asked: string, answered: string | undefined) =>
  asked === answered || (asked === NULL_VERSION_ID && (answered === undefined || answered === ''));

/** An answer about a version asked for by id must be about that version, never another one. */
export function checkAnsweredVersion(asked: string | undefined, resp: Pick<ObjectInfo, 'VersionId'>, loc: S3Location): void {
  if (!asked || sameVersion(asked, resp.VersionId)) return;
  const answered = resp.VersionId ? `version ${shown(resp.VersionId)}` : 'no version id';
  throw new Sse3Error('INTEGRITY', `${formatS3Url(loc)}: asked for version ${shown(asked)}, the server answered with ${answered}; ` +
    'nothing was written or recorded',
  `another version is never taken for the one asked for: check the object's versions with sse3 ls --versions ${folderScopeOf(loc)}`);
}
