import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import { parseScope } from '../core/session/scope.js';
import { deleteMovedFile, deleteMovedObject } from '../core/transfer/move.js';
import { baseName, isS3Url, objectKeyFor, parseS3Url } from '../s3/url.js';
import { renderMoved } from '../output/render-move.js';
import { copyThen, type CpOptions } from './cp.js';

/** mv takes exactly cp's options: the copy is cp's own. */
export type MvOptions = CpOptions;

/**
 * sse3 mv: cp (the same checks, the same code), then each source deleted once its copy is confirmed — its record with
 * it, the destination's written first. A copy that fails leaves its source in place.
 */
export async function mv(src: string, dst: string, opts: MvOptions, run: CommandRun): Promise<void> {
  refuseMove(src, dst, opts);
  await copyThen(src, dst, opts, run, {
    file: async (s, file, copied) => renderMoved(copied, await deleteMovedFile(s, file)),
    object: async (s, from, versionId, copied) => renderMoved(copied, await deleteMovedObject(s, from, versionId)),
  });
}

/**
 * What mv refuses before anything is read, besides cp's own checks: standard input or output (nothing would keep what
 * was moved), two local paths, and a destination that is the source or overlaps it (a copy would overwrite a source
 * not yet moved, or the listing would meet the copies).
 */
function refuseMove(src: string, dst: string, opts: MvOptions): void {
  if (src === '-' || dst === '-') {
    throw new Sse3Error('USAGE', 'mv moves files and objects: it reads no standard input and writes no standard output',
      'upload stdin with: sse3 put - s3://BUCKET/KEY; print an object with: sse3 cat s3://BUCKET/KEY');
  }
  if (!isS3Url(src) && !isS3Url(dst)) throw new Sse3Error('USAGE', 'one side of mv must be an s3:// URL', 'for local moves use mv(1)');
  if (!isS3Url(src) || !isS3Url(dst)) return;
  if (opts.recursive) {
    const [from, to] = [parseScope(src), parseScope(dst)];
    if (from.bucket === to.bucket && (from.prefix.startsWith(to.prefix) || to.prefix.startsWith(from.prefix))) {
      throw new Sse3Error('USAGE', `${src} and ${dst} overlap: one holds the other, so moved objects would land among those still to move`,
        'move to a prefix outside the source (and not holding it)');
    }
    return;
  }
  const from = parseS3Url(src, { requireKey: true });
  const to = objectKeyFor(parseS3Url(dst), baseName(from.key));
  if (from.bucket === to.bucket && from.key === to.key) {
    throw new Sse3Error('USAGE', `${src} and ${dst} are the same object: moving it onto itself would delete it`,
      opts.versionId === undefined ? 'name another destination' : 'to make a version current again use: sse3 cp SRC --version-id ID SRC');
  }
}
