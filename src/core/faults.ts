/**
 * Crash points for the reliability tests: with SSE3_FAULT=<name> the process
 * kills itself with SIGKILL at that point, exactly as a power cut or `kill -9`
 * would, so the tests can prove that recovery works from every stage.
 */
export function faultPoint(name: string): void {
  if (process.env.SSE3_FAULT === name) process.kill(process.pid, 'SIGKILL');
}
