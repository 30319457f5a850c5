import type { Writable } from 'node:stream';
import { describeS3Error, type ErrorContext } from '../../s3/errors.js';
import type { ObjectBody } from '../../s3/objects.js';
import { formatS3Url } from '../../s3/url.js';
import type { Io, TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import type { DeviceDestination } from '../../local/destination.js';
import { asPlainAnswer, keyEcho, requireOurKey, unquoteEtag } from '../keyed.js';
import { Sse3Error } from '../../errors.js';
import { type AnsweredSpan, answeredSpan, checkAnsweredVersion } from './answers.js';
import { checkReceived, checkRecordedSize, type ChecksumSource, type DownloadExpectation, type Expected, expectedChecksum,
  type Received, recordedMtime } from './expectations.js';
import { inFlightFor, rangeSizeFor } from './partsize.js';
import { getFirstRange, ObjectRanges } from './ranges.js';
import { modeFromMetadata } from '../props.js';
import { type SinkJob, toDevice, toFile, toStream } from './sinks.js';

/**
 * Where the plaintext goes. 'file': a temporary file renamed into place once verified. 'device': a character device
 * or FIFO, written as the data arrives. 'stream': a stream, written as the data arrives; `name` (e.g. "stdout") says
 * where the data went when a check fails afterwards — without one the stream is a sink and nothing was kept.
 */
export type DownloadTarget =
  | { kind: 'file'; path: string }
  | DeviceDestination
  | { kind: 'stream'; stream: Writable; name?: string };

export interface DownloadRequest {
  io: Io;
  object: { bucket: string; key: string; versionId?: string };
  /** undefined: a plain (unencrypted) object, read without a key; its answers must carry no SSE-C. */
  sseKey: SseCKey | undefined;
  expected?: DownloadExpectation;
  target: DownloadTarget;
  events?: TransferEvents;
  /**
   * Give a written file the modification time recorded for the object (manifest, else its metadata), and the
   * permissions its metadata records (sse3-mode) when it is encrypted — metadata only a key holder could write — if any.
   */
  restoreFileStamp?: boolean;
  /** partSize: the range size; concurrency: ranges in flight. */
  tuning?: Tuning;
}

export interface DownloadResult {
  /** false: a plain object, read without a key. */
  encrypted: boolean;
  size: number;
  sha256: string;
  checkedAgainst: ChecksumSource;
  versionId: string;
  etag: string;
  /** Modification time of the uploaded file as recorded (whole ms), when the object has one. */
  mtimeMs?: number;
}

/**
 * GET an SSE-C object and verify the plaintext against the SHA-256 recorded at upload (expectations.ts). A file
 * target is written range by range at each range's offset into a temporary file, renamed into place only after every
 * check passed; a device or stream is written in order as the data arrives (sinks.ts).
 */
export async function downloadObject(req: DownloadRequest): Promise<DownloadResult> {
  const url = formatS3Url(req.object);
  const errorContext: ErrorContext = { op: 'get', url, sentFingerprint: req.sseKey?.fingerprint, expectedFingerprint: req.expected?.fingerprint };
  const { first, span } = await openFirstRange(req, url, errorContext);
  const { size } = span;
  const exp = req.expected ?? {};
  let expected: Expected;
  try {
    // Both before a byte is written anywhere: data on stdout or in a FIFO cannot be taken back.
    checkRecordedSize(url, exp, first, size);
    expected = await expectedChecksum(req.io, req.object, exp, first, req.sseKey?.fingerprint);
  } catch (e) {
    first.Body.destroy();
    throw e;
  }
  req.events?.onStart?.(size);
  const mtimeMs = recordedMtime(exp, first);
  const job: SinkJob = { io: req.io, ranges: new ObjectRanges(req.io, req.object, req.sseKey, first, span), url, errorContext,
    rangeSize: rangeSizeFor(req.tuning), inFlight: inFlightFor(req.tuning), events: req.events };
  const verify = (got: Received, written?: string): DownloadResult => {
    checkReceived(url, size, got, expected, written);
    return { encrypted: req.sseKey !== undefined, size, sha256: got.sha256, checkedAgainst: expected.sha256 ? expected.source : 'none',
      versionId: first.VersionId ?? '',
      etag: unquoteEtag(first.ETag), mtimeMs };
  };
  const { target } = req;
  if (target.kind === 'file') {
    return toFile(job, target.path, verify, req.restoreFileStamp
      ? { mtimeMs, mode: req.sseKey ? modeFromMetadata(first.Metadata) : undefined } : {});
  }
  if (target.kind === 'device') return toDevice(job, target, verify);
  return toStream(job, target, verify);
}

/**
 * The first range tells the size and the version; the rest of a large object is then fetched in parallel. Before a
 * byte of it is read, the answer must be about the version asked for, under our key, and carry exactly the bytes
 * asked for: the hash and the size check cover those bytes, and nothing else may reach the destination.
 */
async function openFirstRange(req: DownloadRequest, url: string, errorContext: ErrorContext)
  : Promise<{ first: ObjectBody; span: AnsweredSpan }> {
  let opened;
  try {
    opened = await getFirstRange(req.io, req.object, req.sseKey, rangeSizeFor(req.tuning));
  } catch (e) {
    // AWS refuses a keyed GET of a plain object with InvalidRequest (NOT_ENCRYPTED): the object is plain.
    throw asPlainAnswer(describeS3Error(e, errorContext));
  }
  const { first, asked } = opened;
  try {
    checkAnsweredVersion(req.object.versionId, first, req.object);
    // A server may answer an unencrypted object with 200 despite the SSE-C headers (Ceph RGW does): said as plain.
    if (req.sseKey) requireOurKey(first, req.sseKey, req.object);
    else if (keyEcho(first, undefined) !== 'plain') throw claimsKey(url);
    return { first, span: answeredSpan(first, asked, url) };
  } catch (e) {
    first.Body.destroy();
    throw e;
  }
}

/** An answer to a request without a key that claims SSE-C: no S3 server sends one (it refuses the request), so its data is not used. */
const claimsKey = (url: string) => new Sse3Error('INTEGRITY', `${url}: the server answered a request without a key as for an ` +
  'SSE-C object; sse3 did not use the answer and wrote nothing', 'the server does not handle SSE-C as S3 does: report it to the server\'s operator');
