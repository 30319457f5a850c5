/**
 * Exit statuses are part of sse3's public contract (documented in the README):
 * scripts branch on them, so a number never changes meaning between versions.
 */
export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  KEY: 3,
  INTEGRITY: 4,
  UNREACHABLE: 5,
  INTERRUPTED: 130,
  /** Whoever read the output closed it (sse3 ls | head): 128 + 13 (SIGPIPE), as shells report git or cat stopped so. */
  READER_CLOSED: 141,
  /** Stopped by SIGTERM: 128 + 15, as shells report it, so a supervisor tells it from a user's Ctrl-C (130). */
  TERMINATED: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable machine-readable error codes (the `code` field of --json errors). */
export type ErrorCode =
  | 'USAGE'
  | 'BAD_URL'
  | 'INSECURE_ENDPOINT'
  | 'KEY_FILE'
  | 'KEY_FORMAT'
  | 'KEY_ENV'
  | 'KEYCHAIN'
  | 'KEY_EXISTS'
  | 'KEY_IN_USE'
  | 'NO_KEY'
  | 'WRONG_KEY'
  | 'NOT_ENCRYPTED'
  | 'INTEGRITY'
  | 'SSEC_BLOCKED'
  | 'NO_BUCKET'
  | 'BUCKET_EXISTS'
  | 'BUCKET_NOT_EMPTY'
  | 'NO_OBJECT'
  | 'ACCESS_DENIED'
  | 'CREDENTIALS'
  | 'CLOCK_SKEW'
  | 'UNREACHABLE'
  | 'TLS'
  | 'LOCAL_IO'
  | 'MANIFEST_DAMAGED'
  | 'CUT_SHORT'
  | 'CHANGED'
  | 'S3'
  | 'BATCH'
  | 'INTERRUPTED';

const exitFor: Record<ErrorCode, ExitCode> = {
  USAGE: ExitCode.USAGE,
  BAD_URL: ExitCode.USAGE,
  INSECURE_ENDPOINT: ExitCode.USAGE,
  KEY_FILE: ExitCode.KEY,
  KEY_FORMAT: ExitCode.KEY,
  KEY_ENV: ExitCode.KEY,
  KEYCHAIN: ExitCode.KEY,
  KEY_EXISTS: ExitCode.KEY,
  // keys rm: objects need the key (recorded here, found by a scan) or a default scope uses it; nothing was removed.
  KEY_IN_USE: ExitCode.FAILED,
  NO_KEY: ExitCode.KEY,
  WRONG_KEY: ExitCode.KEY,
  NOT_ENCRYPTED: ExitCode.INTEGRITY,
  INTEGRITY: ExitCode.INTEGRITY,
  SSEC_BLOCKED: ExitCode.FAILED,
  NO_BUCKET: ExitCode.FAILED,
  // mb of a name taken (yours or someone else's), rb of a bucket with objects in it without --force.
  BUCKET_EXISTS: ExitCode.FAILED,
  BUCKET_NOT_EMPTY: ExitCode.FAILED,
  NO_OBJECT: ExitCode.FAILED,
  ACCESS_DENIED: ExitCode.FAILED,
  CREDENTIALS: ExitCode.FAILED,
  // The server refused the request's time, even after sse3 signed at the server's time: a clock to set right.
  CLOCK_SKEW: ExitCode.FAILED,
  UNREACHABLE: ExitCode.UNREACHABLE,
  TLS: ExitCode.UNREACHABLE,
  LOCAL_IO: ExitCode.FAILED,
  MANIFEST_DAMAGED: ExitCode.FAILED,
  CUT_SHORT: ExitCode.UNREACHABLE,
  // The object changed under sse3 (another writer or rotation got there first): nothing was written from what was read.
  CHANGED: ExitCode.FAILED,
  S3: ExitCode.FAILED,
  BATCH: ExitCode.FAILED,
  INTERRUPTED: ExitCode.INTERRUPTED,
};

/**
 * The one error type sse3 reports to users: a one-line message, an optional
 * hint saying what to do, and a stable code that decides the exit status.
 * Messages must never contain key material.
 */
export class Sse3Error extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: ExitCode;

  /** `exitCode` overrides the code's own status: a batch exits with its most severe item's (see worstExitCode). */
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown; exitCode?: ExitCode }) {
    super(message, options);
    this.name = 'Sse3Error';
    this.code = code;
    this.hint = hint;
    this.exitCode = options?.exitCode ?? exitFor[code];
  }
}

/** Exit status of any error: sse3's own carry one; anything else is a plain failure. */
export const exitCodeOf = (e: unknown): ExitCode => (e instanceof Sse3Error ? e.exitCode : ExitCode.FAILED);

/**
 * Most severe first. A batch that met several problems exits with the worst one, so a script learns that data
 * failed its integrity check (4) before it learns that a key was missing (3), a server was unreachable (5), or
 * something else failed (1).
 */
const SEVERITY: readonly ExitCode[] = [ExitCode.TERMINATED, ExitCode.INTERRUPTED, ExitCode.INTEGRITY, ExitCode.KEY, ExitCode.UNREACHABLE,
  ExitCode.USAGE, ExitCode.FAILED];

/** The exit status for a set of item outcomes: the most severe one; OK when there is none. */
export function worstExitCode(codes: Iterable<ExitCode>): ExitCode {
  let worst: ExitCode = ExitCode.OK;
  for (const code of codes) {
    if (code === ExitCode.OK) continue;
    if (worst === ExitCode.OK || SEVERITY.indexOf(code) < SEVERITY.indexOf(worst)) worst = code;
  }
  return worst;
}

export const isSse3Error = (e: unknown): e is Sse3Error => e instanceof Sse3Error;
