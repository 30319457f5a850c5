import { createReadStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Sse3Error } from '../errors.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { uploadObject, MiB } from '../core/upload.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import { humanBytes, type Output } from '../output/output.js';
import { transferProgress } from '../output/progress.js';
import { type GlobalOptions, openSession } from './session.js';

export interface PutOptions {
  key?: string;
  contentType?: string;
  partSize?: number;
  concurrency?: number;
}

/** The --key ref for writes: the option, else SSE3_KEY when set. */
export function writeKeyRef(ref: string | undefined): string {
  if (ref) return ref;
  if (process.env.SSE3_KEY !== undefined) return 'env:SSE3_KEY';
  throw new Sse3Error('USAGE', 'no key given: say which key encrypts the object',
    'pass --key file:PATH | env:VAR | keychain:NAME (make one with: sse3 keygen keychain:NAME)');
}

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
  let size: number | undefined;
  if (src !== '-') {
    const st = await fs.stat(src).catch((e: NodeJS.ErrnoException) => {
      throw new Sse3Error('LOCAL_IO', `cannot read ${src}: ${e.code === 'ENOENT' ? 'no such file' : e.code}`);
    });
    if (!st.isFile()) throw new Sse3Error('USAGE', `${src} is not a regular file`, 'put uploads one file (or - for stdin)');
    size = st.size;
  }
  const body = src === '-' ? process.stdin : createReadStream(src, { highWaterMark: MiB });
  const s = await openSession(g, signal);
  const progress = await transferProgress(out, `put ${basename(loc.key)}`);
  try {
    progress.start(size);
    const r = await uploadObject({
      conn: s.conn, bucket: loc.bucket, key: loc.key, sseKey, body, sizeHint: size, manifest: s.manifest, signal,
      contentType: opts.contentType, partSize: opts.partSize, concurrency: opts.concurrency,
      onBytes: (n) => progress.add(n), onWarning: (m) => out.warn(m),
    });
    progress.stop();
    const url = formatS3Url(loc);
    out.result(
      `${out.c.green('✓')} put ${url}  ${humanBytes(r.size)}  key ${out.c.cyan(r.fingerprint)}` +
        (r.versionId ? `  version ${r.versionId}` : ''),
      { ok: true, url, bucket: r.bucket, key: r.key, versionId: r.versionId || null, size: r.size, sha256: r.sha256,
        etag: r.etag, fingerprint: r.fingerprint, parts: r.parts, endpoint: r.endpoint });
  } finally {
    progress.stop();
    s.close();
  }
}
