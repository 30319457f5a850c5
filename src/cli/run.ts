import { setMaxListeners } from 'node:events';
import { removeLiveTempFiles } from '../core/transfer/tempfiles.js';
import { ExitCode, Sse3Error } from '../errors.js';
import { damagedManifest, isDamage, listBackups } from '../manifest/backup.js';
import { onHomeWarning } from '../manifest/files.js';
import type { Output } from '../output/output.js';
import { sse3Paths } from '../paths.js';
import type { Action } from './lazy.js';

/** The error to report for what an action threw: an interruption or a damaged manifest said as such. */
function reported(e: unknown, interrupted: boolean, out: Output): unknown {
  // Data already streamed to stdout cannot be taken back: never claim otherwise.
  if (interrupted && !(e instanceof Sse3Error && e.code !== 'INTERRUPTED')) {
    return new Sse3Error('INTERRUPTED', out.stdoutIsData ? 'interrupted; what already went to stdout is incomplete'
      : 'interrupted; nothing partial was kept');
  }
  // Damage SQLite finds only when it reads a page: the manifest is named as at open, with the way back.
  return isDamage(e) ? damagedManifest(sse3Paths().manifestFile, e, listBackups(sse3Paths().manifestFile)[0]?.path) : e;
}

/** Run an action with Ctrl-C (and SIGTERM) turned into a clean abort: temp files removed, exit 130. */
export async function runAction(action: Action, out: Output): Promise<ExitCode> {
  const controller = new AbortController();
  // Every transfer of a batch listens on this one signal.
  setMaxListeners(0, controller.signal);
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    removeLiveTempFiles();
    if (interrupts > 1) process.exit(ExitCode.INTERRUPTED);
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
    const err = reported(e, controller.signal.aborted, out);
    out.error(err);
    return err instanceof Sse3Error ? err.exitCode : ExitCode.FAILED;
  } finally {
    onHomeWarning(undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
