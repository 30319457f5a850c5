import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { Sse3Error } from '../errors.js';
import { downloadObject, type DownloadTarget } from '../core/download.js';
import { baseName, formatS3Url, parseS3Url } from '../s3/url.js';
import { humanBytes, type Output } from '../output/output.js';
import { transferProgress } from '../output/progress.js';
import { type GlobalOptions, keyForObject, openSession } from './session.js';

export interface GetOptions {
  key?: string;
  versionId?: string;
}

/** Local path for a download: DST, DST/<name> when DST is a folder, or <name> in the current folder. */
async function localTarget(dst: string | undefined, objectKey: string): Promise<string> {
  const name = baseName(objectKey);
  if (dst === undefined) return resolve(name);
  const isDir = dst.endsWith('/') || (await fs.stat(dst).then((st) => st.isDirectory(), () => false));
  return isDir ? resolve(join(dst, name)) : resolve(dst);
}

export async function get(src: string, dst: string | undefined, opts: GetOptions, g: GlobalOptions, out: Output,
  signal: AbortSignal): Promise<void> {
  const loc = parseS3Url(src, { requireKey: true });
  const url = formatS3Url(loc);
  const toStdout = dst === '-';
  if (toStdout) out.stdoutIsData = true;
  const path = toStdout ? undefined : await localTarget(dst, loc.key);
  if (path) {
    const parent = await fs.stat(join(path, '..')).catch(() => undefined);
    if (!parent?.isDirectory()) throw new Sse3Error('LOCAL_IO', `folder of ${path} does not exist`, 'create it first');
  }
  const s = await openSession(g, signal);
  const progress = await transferProgress(out, `get ${baseName(loc.key)}`);
  try {
    const found = await keyForObject(s, loc, { keyRef: opts.key, versionId: opts.versionId, required: true });
    const target: DownloadTarget = path ? { kind: 'file', path } : { kind: 'stream', stream: process.stdout };
    // The manifest's checksum applies only to the version it recorded.
    const entry = found.entry;
    const r = await downloadObject({
      conn: s.conn, bucket: loc.bucket, key: loc.key, versionId: opts.versionId, sseKey: found.key!,
      expectedSha256: entry?.sha256, expectedVersionId: entry?.versionId, expectedFingerprint: found.fingerprint,
      target, signal, onStart: (n) => progress.start(n), onBytes: (n) => progress.add(n),
    });
    progress.stop();
    if (r.checkedAgainst === 'none') out.warn(`${url} has no recorded SHA-256 (not written by sse3?): integrity not verified`);
    out.result(
      `${out.c.green('✓')} get ${url} → ${path ?? 'stdout'}  ${humanBytes(r.size)}  key ${out.c.cyan(found.key!.fingerprint)}` +
        `  sha256 ${r.checkedAgainst === 'none' ? out.c.yellow('not verified') : out.c.green('verified')}`,
      { ok: true, url, path: path ?? null, size: r.size, sha256: r.sha256, verified: r.checkedAgainst !== 'none',
        checksumSource: r.checkedAgainst, versionId: r.versionId || null, etag: r.etag, fingerprint: found.key!.fingerprint,
        keySource: found.key!.source });
  } finally {
    progress.stop();
    s.close();
  }
}
