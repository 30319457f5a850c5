import { Sse3Error } from '../errors.js';
import type { SseCKey } from '../keys/key.js';
import { givenWriteRef } from '../keys/write-ref.js';
import type { CommandRun } from '../options.js';
import { loadGivenKeys } from '../core/session/session.js';
import { getViaLink, putViaLink } from '../core/transfer/link.js';
import { localFile, localTarget } from '../core/transfer/single.js';
import { parseLink } from '../s3/presign.js';
import { baseName } from '../s3/url.js';
import { withProgress } from '../output/progress.js';
import { renderGet, renderPut } from '../output/render.js';

/**
 * get and put with a presigned link (sse3 presign) in place of s3://BUCKET/KEY: no S3 credentials, only the link and
 * the key it was made for (--key, else env:SSE3_KEY).
 */

async function linkKey(given: string[] | undefined): Promise<SseCKey> {
  // SSE3_KEY as every write reads it: main() has already taken it out of process.env, and an empty one is an error.
  const fallback = givenWriteRef(undefined, process.env);
  const refs = given?.length ? given : fallback === undefined ? [] : [fallback];
  const keys = await loadGivenKeys(refs);
  if (keys.length !== 1) {
    throw new Sse3Error(keys.length ? 'USAGE' : 'NO_KEY', keys.length ? 'a presigned link opens with one key: give one --key'
      : 'a presigned link needs the key it was made for', 'pass --key file:PATH | env:VAR | keychain:NAME');
  }
  return keys[0];
}

export async function getLink(src: string, dst: string | undefined, opts: { key?: string[]; versionId?: string },
  { g, out, signal }: CommandRun): Promise<void> {
  const stdout = dst === '-' ? out.dataStream() : undefined;
  const link = parseLink(src);
  if (opts.versionId !== undefined) {
    throw new Sse3Error('USAGE', '--version-id does not apply to a presigned link', 'a link names one version: the one it was signed for');
  }
  const to = stdout ?? await localTarget(dst, link);
  const sseKey = await linkKey(opts.key);
  const r = await withProgress(out, `get ${baseName(link.key)}`, (events) => getViaLink(link, to, sseKey, { g, signal }, events));
  out.show(renderGet(out, r));
}

export async function putLink(src: string, dst: string, opts: { key?: string }, { g, out, signal }: CommandRun): Promise<void> {
  const link = parseLink(dst);
  if (src === '-') throw new Sse3Error('USAGE', 'a presigned link uploads a file, not standard input', 'save it to a file first');
  const sseKey = await linkKey(opts.key === undefined ? undefined : [opts.key]);
  const file = await localFile(src);
  const r = await withProgress(out, `put ${baseName(link.key)}`, (events) => putViaLink(link, file, sseKey, { g, signal }, events));
  out.show(renderPut(out, r));
  out.info(`${link.shownAs} carries no sse3 metadata (a link is signed before the SHA-256 is known): its SHA-256 is ${r.sha256}`);
}
