import { setMaxListeners } from 'node:events';
import { removeLiveTempFiles } from '../core/transfer/tempfiles.js';
import { ExitCode, Sse3Error } from '../errors.js';
import { damagedManifest, isDamage, listBackups } from '../manifest/backup.js';
import { onHomeWarning } from '../manifest/files.js';
import type { Output } from '../output/output.js';
import { showCursor } from '../output/terminal.js';
import { sse3Paths } from '../paths.js';
import { tidyUpWhenReaderCloses } from './closed-reader.js';
import type { Action } from './lazy.js';

type StopSignal = 'SIGINT' | 'SIGTERM';

/** The exit status a stop signal gives: 130 for Ctrl-C (SIGINT), 143 for SIGTERM, as shells report them. */
const exitForSignal = (signal: StopSignal): ExitCode => (signal === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED);

/** The error to report for what an action threw: an interruption or a damaged manifest said as such. */
function reported(e: unknown, stoppedBy: StopSignal | undefined, out: Output): unknown {
  // Data already streamed to stdout cannot be taken back: never claim otherwise.
  if (stoppedBy !== undefined && !(e instanceof Sse3Error && e.code !== 'INTERRUPTED')) {
    const how = stoppedBy === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted';
    return new Sse3Error('INTERRUPTED', out.stdoutIsData ? `${how}; what already went to stdout is incomplete`
      : `${how}; nothing partial was kept`, undefined, { exitCode: exitForSignal(stoppedBy) });
  }
  // A batch stopped by SIGTERM exits as terminated, not as Ctrl-C (its items' interruptions say 130).
  if (stoppedBy === 'SIGTERM' && e instanceof Sse3Error && e.exitCode === ExitCode.INTERRUPTED) {
    return new Sse3Error(e.code, e.message, e.hint, { cause: e.cause, exitCode: ExitCode.TERMINATED });
  }
  // Damage SQLite finds only when it reads a page: the manifest is named as at open, with the way back.
  return isDamage(e) ? damagedManifest(sse3Paths().manifestFile, e, listBackups(sse3Paths().manifestFile)[0]?.path) : e;
}

/**
 * Run an action with Ctrl-C and SIGTERM turned into a clean abort: temp files removed, exit 130 (SIGINT) or
 * 143 (SIGTERM). A second signal exits at once, with the status of the first.
 */
export async function runAction(action: Action, out: Output): Promise<ExitCode> {
  tidyUpWhenReaderCloses((closed, streams) => {
    removeLiveTempFiles();
    // The progress bars on the terminal stop with the process: the cursor they hid is shown again.
    for (const other of streams) if (other !== closed) showCursor(other);
  });
  const controller = new AbortController();
  // Every transfer of a batch listens on this one signal.
  setMaxListeners(0, controller.signal);
  let stoppedBy: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    removeLiveTempFiles();
    if (stoppedBy !== undefined) process.exit(exitForSignal(stoppedBy));
    stoppedBy = signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Said on stderr when the manifest is first opened (never into a --json document).
  onHomeWarning((message) => out.warn(message));
  try {
    await action(out, controller.signal);
    return ExitCode.OK;
  } catch (e) {
    const err = reported(e, stoppedBy, out);
    out.error(err);
    return err instanceof Sse3Error ? err.exitCode : ExitCode.FAILED;
  } finally {
    onHomeWarning(undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
