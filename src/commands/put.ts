import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from '../core/key.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { uploadObject, type UploadResult } from '../core/upload.js';
import { formatS3Url, parseS3Url, type S3Location } from '../s3/url.js';
import { humanBytes, type Output } from '../output/output.js';
import { transferProgress } from '../output/progress.js';
import { type GlobalOptions, openSession, type Session } from './session.js';

export interface PutOptions {
  key?: string;
  contentType?: string;
  partSize?: number;
  concurrency?: number;
}

/** The --key ref for writes: the option, else SSE3_KEY when set. */
export function writeKeyRef(ref: string | undefined): string {
  // An empty --key "" (an unset variable in a script) is a mistake to report, not a reason to fall back to SSE3_KEY.
  if (ref !== undefined) return ref;
  if (process.env.SSE3_KEY !== undefined) return 'env:SSE3_KEY';
  throw new Sse3Error('USAGE', 'no key given: say which key encrypts the object',
    'pass --key file:PATH | env:VAR | keychain:NAME (make one with: sse3 keygen keychain:NAME)');
}

export interface LocalFile {
  size: number;
  mtimeMs: number;
}

/** A local file to upload (size and modification time), with the errors a user can act on. */
export async function localFile(src: string): Promise<LocalFile> {
  const st = await fs.stat(src).catch((e: NodeJS.ErrnoException) => {
    throw new Sse3Error('LOCAL_IO', `cannot read ${src}: ${e.code === 'ENOENT' ? 'no such file' : e.code}`);
  });
  if (!st.isFile()) throw new Sse3Error('USAGE', `${src} is not a regular file`, 'upload a folder with: sse3 cp --recursive');
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** Upload one local file (or stdin for '-') with a progress bar; the caller renders the result. */
export async function putOne(s: Session, src: string, loc: S3Location, sseKey: SseCKey, opts: PutOptions, out: Output,
  file?: LocalFile): Promise<UploadResult> {
  const size = file?.size;
  const progress = await transferProgress(out, `put ${basename(loc.key)}`);
  try {
    progress.start(size);
    return await uploadObject({
      conn: s.conn, bucket: loc.bucket, key: loc.key, sseKey, body: src === '-' ? process.stdin : undefined,
      file: src === '-' ? undefined : { path: src, size: size!, mtimeMs: file!.mtimeMs }, manifest: s.manifest, signal: s.signal,
      contentType: opts.contentType, partSize: opts.partSize, concurrency: opts.concurrency,
      onBytes: (n) => progress.add(n), onWarning: (m) => out.warn(m),
    });
  } finally {
    progress.stop();
  }
}

export function renderPut(out: Output, r: UploadResult): void {
  const url = formatS3Url(r);
  out.result(
    `${out.c.green('✓')} put ${url}  ${humanBytes(r.size)}  key ${out.c.cyan(r.fingerprint)}` +
      (r.versionId ? `  version ${r.versionId}` : ''),
    putJson(r));
}

export const putJson = (r: UploadResult) => ({
  ok: true, url: formatS3Url(r), bucket: r.bucket, key: r.key, versionId: r.versionId || null, size: r.size,
  sha256: r.sha256, etag: r.etag, fingerprint: r.fingerprint, parts: r.parts, endpoint: r.endpoint,
});

export async function put(src: string, dst: string, opts: PutOptions, g: GlobalOptions, out: Output, signal: AbortSignal)
  : Promise<void> {
  const keyRef = parseKeyRef(writeKeyRef(opts.key));
  const loc = parseS3Url(dst);
  if (loc.key === '' || loc.key.endsWith('/')) {
    if (src === '-') throw new Sse3Error('USAGE', 'reading stdin needs a full object name', `e.g. sse3 put - s3://${loc.bucket}/${loc.key}NAME`);
    loc.key += basename(src);
  }
  // Every local check happens before the first request leaves the process.
  const sseKey = await loadKey(keyRef);
  const file = src === '-' ? undefined : await localFile(src);
  const s = await openSession(g, signal);
  try {
    renderPut(out, await putOne(s, src, loc, sseKey, opts, out, file));
  } finally {
    s.close();
  }
}
