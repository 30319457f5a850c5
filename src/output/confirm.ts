import { Sse3Error } from '../errors.js';
import type { Output } from './output.js';

/**
 * The confirmation rule of commands whose change cannot be undone (rb --force, bucket sse-c --allow): --yes, else a
 * question on a terminal, where only an explicit yes counts; with no terminal to ask on, a usage error (`refusal`: what
 * the command would have done and that no terminal can confirm it; `hint`: how to confirm it). False: the person said no.
 */
export async function confirmedChange(out: Output, opts: { yes?: boolean; question: string; refusal: string; hint: string }): Promise<boolean> {
  if (opts.yes) return true;
  if (!out.canAsk) throw new Sse3Error('USAGE', opts.refusal, opts.hint);
  return out.confirm(opts.question);
}
