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

export function faultPoint(name: string): void {
  // Written as one condition around the body, so the bundler drops the body when the flag is false.
  if (typeof SSE3_FAULT_HOOKS !== 'undefined' && SSE3_FAULT_HOOKS) {
    const fault = process.env.SSE3_FAULT;
    if (fault === name) process.kill(process.pid, 'SIGKILL');
    else if (fault === `${name}:stop`) process.kill(process.pid, 'SIGSTOP');
  }
}
