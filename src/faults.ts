/**
 * Fault points for the reliability tests. With SSE3_FAULT=<name> the process kills itself with SIGKILL at that
 * point, exactly as a power cut or `kill -9` would, so the tests can prove that recovery works from every stage.
 * With SSE3_FAULT=<name>:stop it stops itself (SIGSTOP) there instead, until the test has changed the world
 * around it (rewritten a file being uploaded, say) and sends SIGCONT.
 *
 * Only in the bundle the tests build (scripts/test.sh: SSE3_FAULT_HOOKS=1): in the one that ships, scripts/bundle.mjs
 * defines SSE3_FAULT_HOOKS as false and the hook is compiled out, so no variable can stop or kill a user's sse3.
 */
declare const SSE3_FAULT_HOOKS: boolean | undefined;

/**
 * Every point, each a boundary between two phases of a write, so production code marks phases rather than test cases.
 * Uploads: 'put-sent' (PutObject answered and confirmed, the file not yet checked again), 'after-put' (confirmed and
 * checked, not yet recorded); 'after-part-N' (part N of a multipart upload confirmed), 'before-complete' (the whole
 * checksum journalled, CompleteMultipartUpload not yet sent), 'after-complete' (completed and proven, not yet
 * recorded). Downloads: 'download-written' (the temporary file written and synced, not yet verified or renamed),
 * 'device-open' (about to open a device or FIFO). Rotation: 'rotate-journalled', 'rotate-written'. Adopt:
 * 'adopt-tagged' (tags written, not yet recorded). Move: 'move-copied' (the copy confirmed and its record committed, the
 * source not yet deleted).
 */
export type FaultPoint =
  | 'put-sent' | 'after-put' | `after-part-${number}` | 'before-complete' | 'after-complete'
  | 'download-written' | 'device-open'
  | 'rotate-journalled' | 'rotate-written'
  | 'adopt-tagged'
  | 'move-copied';

export function faultPoint(name: FaultPoint): void {
  // Written as one condition around the body, so the bundler drops the body when the flag is false.
  if (typeof SSE3_FAULT_HOOKS !== 'undefined' && SSE3_FAULT_HOOKS) {
    const fault = process.env.SSE3_FAULT;
    if (fault === name) process.kill(process.pid, 'SIGKILL');
    else if (fault === `${name}:stop`) process.kill(process.pid, 'SIGSTOP');
  }
}
