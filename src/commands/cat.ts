import type { CommandRun } from '../options.js';
import { get, type GetOptions } from './get.js';

/** sse3 cat s3://BUCKET/KEY: get to stdout, with get's checks, key search and closed-pipe rule, as `aws s3 cp … -` users expect. */
export function cat(src: string, opts: GetOptions, run: CommandRun): Promise<void> {
  return get(src, '-', opts, run);
}
