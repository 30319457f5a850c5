// The form of a fingerprint, apart from how one is computed (key.ts, with node:crypto): checking a typed one is all
// the command line needs, and loading node:crypto for it would slow every start, --help included.

/** 80 bits: unique among any realistic set of keys, short enough to read aloud. */
export const FINGERPRINT_HEX_CHARS = 20;

/** Whether text is a fingerprint as sse3 writes them (lowercase hex), e.g. one typed for rotate or keys usage. */
export const isFingerprint = (text: string): boolean => text.length === FINGERPRINT_HEX_CHARS && /^[0-9a-f]+$/.test(text);
