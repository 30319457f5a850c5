import { readFileSync } from 'node:fs';

/**
 * Is another process with this PID alive? (Ours counts as not: its leftovers are from an earlier life of the PID.)
 * `since`: when the process being asked about wrote what it left (an ISO time). A process with that PID that started
 * later is another one that got the PID after it was freed (after a reboot, say): the writer is not alive. Told apart
 * where the system says when a process started (Linux); elsewhere any live PID counts.
 */
export function processAlive(pid: number, since?: string): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const wrote = since === undefined ? NaN : Date.parse(since);
  const started = Number.isNaN(wrote) ? undefined : startedAtMs(pid);
  // Start times from /proc are exact to a clock tick, the boot time to a second.
  return started === undefined || started <= wrote + 2000;
}

/** Linux's clock ticks per second as /proc counts them (USER_HZ, 100 on every architecture Node runs on). */
const USER_HZ = 100;

let bootTimeMs: number | undefined;

/** When a process started (ms since the epoch), from /proc; undefined where there is no /proc or it cannot be read. */
function startedAtMs(pid: number): number | undefined {
  try {
    bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the fields after the command name, which may hold spaces, start at field 3.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const at = bootTimeMs + (ticks / USER_HZ) * 1000;
    return Number.isFinite(at) && bootTimeMs > 0 ? at : undefined;
  } catch {
    return undefined;
  }
}
