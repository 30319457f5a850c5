import { promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Sse3Error } from '../errors.js';
import { downloadObject, type DownloadResult, type DownloadTarget } from '../core/download.js';
import { baseName, formatS3Url, parseS3Url, type S3Location } from '../s3/url.js';
import { humanBytes, type Output } from '../output/output.js';
import { transferProgress } from '../output/progress.js';
import { type GlobalOptions, keyForObject, openSession, type Session } from './session.js';

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

export interface GetOutcome extends DownloadResult {
  url: string;
  path: string | null;
  fingerprint: string;
  keySource: string;
}

/** Download one object to a file path (or stdout when path is undefined), finding its key if not given. */
export async function getOne(s: Session, loc: S3Location, path: string | undefined, opts: GetOptions, out: Output)
  : Promise<GetOutcome> {
  const url = formatS3Url(loc);
  if (path) {
    const parent = await fs.stat(dirname(path)).catch(() => undefined);
    if (!parent?.isDirectory()) throw new Sse3Error('LOCAL_IO', `folder of ${path} does not exist`, 'create it first');
  }
  const progress = await transferProgress(out, `get ${baseName(loc.key)}`);
  try {
    const found = await keyForObject(s, loc, { keyRef: opts.key, versionId: opts.versionId, required: true });
    const target: DownloadTarget = path ? { kind: 'file', path } : { kind: 'stream', stream: process.stdout };
    const entry = found.entry;
    const r = await downloadObject({
      conn: s.conn, bucket: loc.bucket, key: loc.key, versionId: opts.versionId, sseKey: found.key!,
      expectedSha256: entry?.sha256, expectedVersionId: entry?.versionId, expectedFingerprint: found.fingerprint,
      target, signal: s.signal, onStart: (n) => progress.start(n), onBytes: (n) => progress.add(n),
    });
    progress.stop();
    if (r.checkedAgainst === 'none') out.warn(`${url} has no recorded SHA-256 (not written by sse3?): integrity not verified`);
    return { ...r, url, path: path ?? null, fingerprint: found.key!.fingerprint, keySource: found.key!.source };
  } finally {
    progress.stop();
  }
}

export function renderGet(out: Output, r: GetOutcome): void {
  out.result(
    `${out.c.green('✓')} get ${r.url} → ${r.path ?? 'stdout'}  ${humanBytes(r.size)}  key ${out.c.cyan(r.fingerprint)}` +
      `  sha256 ${r.checkedAgainst === 'none' ? out.c.yellow('not verified') : out.c.green('verified')}`,
    getJson(r));
}

export const getJson = (r: GetOutcome) => ({
  ok: true, url: r.url, path: r.path, size: r.size, sha256: r.sha256, verified: r.checkedAgainst !== 'none',
  checksumSource: r.checkedAgainst, versionId: r.versionId || null, etag: r.etag, fingerprint: r.fingerprint, keySource: r.keySource,
});

export async function get(src: string, dst: string | undefined, opts: GetOptions, g: GlobalOptions, out: Output,
  signal: AbortSignal): Promise<void> {
  const loc = parseS3Url(src, { requireKey: true });
  if (dst === '-') out.stdoutIsData = true;
  const path = dst === '-' ? undefined : await localTarget(dst, loc.key);
  const s = await openSession(g, signal);
  try {
    renderGet(out, await getOne(s, loc, path, opts, out));
  } finally {
    s.close();
  }
}
