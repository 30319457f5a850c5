import { basename } from 'node:path';
import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import type { ObjectProps } from '../core/props.js';
import { withHomeManifest } from '../core/session/home-manifest.js';
import { openSession } from '../core/session/session.js';
import { localFile, putOne } from '../core/transfer/single.js';
import { partSizeFor } from '../core/transfer/partsize.js';
import { parseKeyRef } from '../keys/sources.js';
import { resolveWriteKeys } from '../core/session/write-key.js';
import { isLink, namesFolder, objectKeyFor, parseS3Url } from '../s3/url.js';
import { withProgress } from '../output/progress.js';
import { renderPut } from '../output/render.js';
import { defaultKeyNote, withKeyChoice } from '../output/render-key-defaults.js';

export interface PutOptions {
  key?: string;
  /** The upload options (cli/options.ts withUploadProps). */
  props?: ObjectProps;
  partSize?: number;
  concurrency?: number;
}

export async function put(src: string, dst: string, opts: PutOptions, run: CommandRun)
  : Promise<void> {
  // A key typed in place of a reference is refused before anything else quotes the command line back.
  if (opts.key !== undefined) parseKeyRef(opts.key);
  if (isLink(dst)) return (await import('./link.js')).putLink(src, dst, opts, run);
  const { g, out, signal } = run;
  const parsed = parseS3Url(dst);
  if (src === '-' && namesFolder(parsed)) {
    throw new Sse3Error('USAGE', 'reading stdin needs a full object name', `e.g. sse3 put - s3://${parsed.bucket}/${parsed.key}NAME`);
  }
  const loc = objectKeyFor(parsed, basename(src));
  await withHomeManifest(async (manifest) => {
    // Every local check happens before the first request leaves the process.
    // --key, else SSE3_KEY, else the default key of the object's bucket or folder (sse3 keys default).
    const writeKey = (await resolveWriteKeys(opts.key, process.env, loc, g, manifest)).for(loc.key);
    if (writeKey.defaultOf) out.info(defaultKeyNote(out, writeKey));
    const file = src === '-' ? undefined : await localFile(src);
    partSizeFor(file?.size, opts.partSize);
    const s = await openSession(g, { signal, out }, { writing: [writeKey.key], manifest });
    try {
      const r = await withProgress(out, `put ${basename(loc.key)}`, (events) =>
        putOne(s, file ?? { stream: process.stdin }, loc, writeKey.key, { props: opts.props, tuning: opts }, events));
      out.show(withKeyChoice(renderPut(out, r), writeKey));
    } finally {
      s.close();
    }
  });
}
