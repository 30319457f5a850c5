// A real pseudo-terminal for the tests: a program in a detached tmux session of its own (its own server socket),
// driven by keys and read back from the screen.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait.js';

export const haveTmux = ['/usr/bin/tmux', '/bin/tmux', '/usr/local/bin/tmux'].some((p) => existsSync(p));

/** The process exists and has not ended (an ended one may wait as a zombie for a parent to reap it). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

export class Tmux {
  readonly #socket = `sse3-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  /** tmux's folder for its socket (TMUX_TMPDIR), the test's own rather than the shared /tmp/tmux-UID; removed at close. */
  readonly #dir = mkdtempSync(join(tmpdir(), 'sse3-tmux-'));
  readonly #pid: number;

  /**
   * argv run in a width × height terminal, in cwd, with env added to this process's environment — or, with
   * onlyEnv, as its whole environment.
   */
  constructor(argv: string[],
    opts: { env: Record<string, string>; onlyEnv?: boolean; cwd: string; width: number; height: number }) {
    const envArgs = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    this.#tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(opts.width), '-y', String(opts.height), '-c', opts.cwd,
      'env', ...(opts.onlyEnv ? ['-i'] : []), ...envArgs, ...argv);
    // env execs argv: the pane's process is the program itself.
    this.#pid = Number(this.#tmux('display', '-p', '#{pane_pid}').trim());
  }

  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], { env: { ...process.env, TMUX_TMPDIR: this.#dir } }).toString();
  }

  keys(...keys: string[]): void {
    this.#tmux('send-keys', ...keys);
  }

  /** The screen as text; with escapes, with the escape sequences of its colours. */
  screen(opts: { escapes?: boolean } = {}): string {
    return this.#tmux('capture-pane', '-p', ...(opts.escapes ? ['-e'] : []));
  }

  /** Where the cursor is, and what its line holds to the left of it (trailing spaces kept). */
  cursor(): { at: string; y: number; before: string } {
    const [x, y] = this.#tmux('display', '-p', '#{cursor_x} #{cursor_y}').trim().split(' ').map(Number);
    const line = this.#tmux('capture-pane', '-p', '-N', '-S', String(y), '-E', String(y)).replace(/\n$/, '');
    return { at: `${x},${y}`, y, before: line.slice(0, x) };
  }

  /** The terminal shows its cursor (a program that hid it for its progress bars showed it again). */
  cursorVisible(): boolean {
    return this.#tmux('display', '-p', '#{cursor_flag}').trim() === '1';
  }

  /** End the session, and wait until its program has exited: it may still write to its folders as it goes. */
  async close(): Promise<void> {
    try { this.#tmux('kill-server'); } catch { /* already gone */ }
    await waitFor(`the program in tmux (PID ${this.#pid}) to exit`, () => !running(this.#pid), 30_000);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
