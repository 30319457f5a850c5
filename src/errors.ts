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
  | 'NO_KEY'
  | 'WRONG_KEY'
  | 'NOT_ENCRYPTED'
  | 'INTEGRITY'
  | 'SSEC_BLOCKED'
  | 'NO_BUCKET'
  | 'NO_OBJECT'
  | 'ACCESS_DENIED'
  | 'CREDENTIALS'
  | 'UNREACHABLE'
  | 'TLS'
  | 'LOCAL_IO'
  | 'S3'
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
  NO_KEY: ExitCode.KEY,
  WRONG_KEY: ExitCode.KEY,
  NOT_ENCRYPTED: ExitCode.INTEGRITY,
  INTEGRITY: ExitCode.INTEGRITY,
  SSEC_BLOCKED: ExitCode.FAILED,
  NO_BUCKET: ExitCode.FAILED,
  NO_OBJECT: ExitCode.FAILED,
  ACCESS_DENIED: ExitCode.FAILED,
  CREDENTIALS: ExitCode.FAILED,
  UNREACHABLE: ExitCode.UNREACHABLE,
  TLS: ExitCode.UNREACHABLE,
  LOCAL_IO: ExitCode.FAILED,
  S3: ExitCode.FAILED,
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

  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Sse3Error';
    this.code = code;
    this.hint = hint;
    this.exitCode = exitFor[code];
  }
}

export const isSse3Error = (e: unknown): e is Sse3Error => e instanceof Sse3Error;
