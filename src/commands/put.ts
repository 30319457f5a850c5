import { basename } from 'node:path';
import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import type { ObjectProps } from '../core/props.js';
import { openSession } from '../core/session/session.js';
import { localFile, putOne } from '../core/transfer/single.js';
import { partSizeFor } from '../core/transfer/partsize.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { writeKeyRef } from '../keys/write-ref.js';
import { namesFolder, objectKeyFor, parseS3Url } from '../s3/url.js';
import { withProgress } from '../output/progress.js';
import { renderPut } from '../output/render.js';

export interface PutOptions {
  key?: string;
  /** The upload options (cli/options.ts withUploadProps). */
  props?: ObjectProps;
  partSize?: number;
  concurrency: number;
}

export async function put(src: string, dst: string, opts: PutOptions, { g, out, signal }: CommandRun)
  : Promise<void> {
  const keyRef = parseKeyRef(writeKeyRef(opts.key, process.env));
  const parsed = parseS3Url(dst);
  if (src === '-' && namesFolder(parsed)) {
    throw new Sse3Error('USAGE', 'reading stdin needs a full object name', `e.g. sse3 put - s3://${parsed.bucket}/${parsed.key}NAME`);
  }
  const loc = objectKeyFor(parsed, basename(src));
  // Every local check happens before the first request leaves the process.
  const sseKey = await loadKey(keyRef);
  const file = src === '-' ? undefined : await localFile(src);
  partSizeFor(file?.size, opts.partSize);
  const s = await openSession(g, { signal, out });
  try {
    const r = await withProgress(out, `put ${basename(loc.key)}`, (events) =>
      putOne(s, file ?? { stream: process.stdin }, loc, sseKey, { props: opts.props, tuning: opts }, events));
    out.show(renderPut(out, r));
  } finally {
    s.close();
  }
}
