import { ExitCode } from '../errors.js';

/**
 * What is put right before exiting when a reader went away: set by runAction (temporary files, the cursor the
 * progress bars hid). Before a command runs there is nothing to put right (--help, a usage error), and what does it
 * is not loaded at all then.
 */
let tidyUp: (closed: NodeJS.WriteStream, streams: NodeJS.WriteStream[]) => void = () => undefined;
export const tidyUpWhenReaderCloses = (tidy: typeof tidyUp): void => { tidyUp = tidy; };

/** The error a write gets when whoever read sse3's output has gone (the pipe's reading end was closed). */
export const isClosedReader = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'EPIPE';

/**
 * A reader that goes away (`sse3 ls -r s3://b | head -2`, `sse3 get s3://b/x - | tar x` when tar stops early) ends
 * every command as it ends git or cat: at once, with no message (there is nobody to read one), its temporary files
 * removed as Ctrl-C removes them, exit 141 — the status a shell reports for a program the SIGPIPE stopped, so a
 * script with `set -o pipefail` learns that the command did not finish (a download cut at 1000 bytes did not
 * deliver the object), and one without it gets its reader's status as always. What the manifest waits to record is
 * written on exit (write-behind) and an open transaction is rolled back: nothing is recorded that was not done.
 * Installed once, before anything is written, for both streams: `2>&1 | head` closes stderr too.
 */
export function endQuietlyWhenReaderCloses(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  const end = (closed: NodeJS.WriteStream): never => {
    tidyUp(closed, streams);
    process.exit(ExitCode.READER_CLOSED);
  };
  for (const stream of streams) {
    stream.on('error', (e) => {
      if (!isClosedReader(e)) throw e;
      end(stream);
    });
    // A write into a pipe nobody reads fails at once, but the stream says so one tick later: a command that ends in
    // that tick would still write its summary to the other stream. Every write first asks whether a reader went away.
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((...args: unknown[]) => {
      const closed = streams.find((s) => isClosedReader(s.errored));
      if (closed) end(closed);
      return write(...args);
    }) as typeof stream.write;
  }
}
