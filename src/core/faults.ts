/**
 * Fault points for the reliability tests. With SSE3_FAULT=<name> the process kills itself with SIGKILL at that
 * point, exactly as a power cut or `kill -9` would, so the tests can prove that recovery works from every stage.
 * With SSE3_FAULT=<name>:stop it stops itself (SIGSTOP) there instead, until the test has changed the world
 * around it (rewritten a file being uploaded, say) and sends SIGCONT.
 */
export function faultPoint(name: string): void {
  const fault = process.env.SSE3_FAULT;
  if (fault === name) process.kill(process.pid, 'SIGKILL');
  else if (fault === `${name}:stop`) process.kill(process.pid, 'SIGSTOP');
}
