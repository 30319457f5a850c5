// The start-up limits both reports hold sse3 to: milliseconds over a bare `node -e 0` in the same hyperfine run
// (whole processes; a bare node start is what no Node CLI can go under).
export const STARTUP_OVER_NODE_MS = {
  'sse3 --version': 15,
  'sse3 --help': 25,
  'complete: commands': 15,
  'complete: buckets': 15,
  'complete: prefix': 15,
};
