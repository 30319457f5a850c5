import { readFileSync } from 'node:fs';
import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import type { CommandRun } from '../options.js';
import { packageFile } from '../paths.js';

const SHELLS = ['bash', 'zsh', 'fish'];

/** sse3 completion SHELL: the completion script shipped for that shell, as it is. */
export function completion(shell: string, _opts: object, { out }: CommandRun): void {
  if (!SHELLS.includes(shell)) throw new Sse3Error('USAGE', `no completion for shell ${shown(shell)}`, 'choose bash, zsh or fish');
  out.text(readFileSync(packageFile(`completions/sse3.${shell}`), 'utf8'));
}
