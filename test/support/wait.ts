// Waiting for something to happen, never for a fixed time: a test polls for the event (a file appearing, a line on
// a pipe, a request on the server, the screen of a terminal) and fails saying what it waited for when it does not
// come within a bound.

/** Resolves after a pause of ms: only for spacing the polls below. */
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until probe returns a value (not undefined/false), or fail after timeoutMs saying what was awaited. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(everyMs);
  }
}

/**
 * Resolves once every promise reaction queued so far has run, and those they queued in turn (the event loop's next
 * turn): code driven by promises alone, with no I/O, has then gone as far as it can.
 */
export const promisesSettled = (): Promise<void> => new Promise((r) => setImmediate(r));
