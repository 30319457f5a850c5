import { Writable } from 'node:stream';
import { Sse3Error } from '../errors.js';
import { downloadObject } from '../core/download.js';
import { settleRotations } from '../core/rotate.js';
import { runBatch } from '../core/batch.js';
import type { ManifestEntry } from '../manifest/store.js';
import { describeS3Error } from '../s3/errors.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import type { Output } from '../output/output.js';
import { rotateContext } from './rotate.js';
import { type GlobalOptions, openSession, type Session } from './session.js';

export interface VerifyOptions {
  deep?: boolean;
  jobs?: number;
}

export type VerifyStatus = 'ok' | 'key-unavailable' | 'wrong-key' | 'missing' | 'not-encrypted' | 'corrupt' | 'error';

const describe: Record<VerifyStatus, string> = {
  'ok': 'OK',
  'key-unavailable': 'key not available here',
  'wrong-key': 'key does not open it',
  'missing': 'object missing',
  'not-encrypted': 'not encrypted',
  'corrupt': 'SHA-256 mismatch',
  'error': 'error',
};

async function check(s: Session, e: ManifestEntry, deep: boolean): Promise<{ status: VerifyStatus; detail?: string }> {
  const key = await s.findKey(e.fingerprint);
  if (!key) return { status: 'key-unavailable' };
  const url = formatS3Url(e);
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const h = await s.conn.client.send(new HeadObjectCommand({ Bucket: e.bucket, Key: e.key, VersionId: e.versionId || undefined,
      ...key.sseC() }), { abortSignal: s.signal });
    if (h.SSECustomerAlgorithm !== 'AES256') return { status: 'not-encrypted' };
    if (h.SSECustomerKeyMD5 !== key.keyMd5) return { status: 'wrong-key' };
  } catch (err) {
    const mapped = describeS3Error(err, { op: 'head', url, sentFingerprint: key.fingerprint, expectedFingerprint: e.fingerprint });
    if (mapped.code === 'NO_OBJECT') return { status: 'missing' };
    if (mapped.code === 'WRONG_KEY') return { status: 'wrong-key' };
    if (mapped.code === 'NOT_ENCRYPTED') return { status: 'not-encrypted' };
    throw mapped;
  }
  if (!deep) return { status: 'ok' };
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    await downloadObject({ conn: s.conn, bucket: e.bucket, key: e.key, versionId: e.versionId || undefined, sseKey: key,
      expectedSha256: e.sha256 || undefined, target: { kind: 'stream', stream: sink }, signal: s.signal });
    return { status: 'ok' };
  } catch (err) {
    if (err instanceof Sse3Error && err.code === 'INTEGRITY') return { status: 'corrupt', detail: err.message };
    throw err;
  }
}

export async function verify(scopeUrl: string | undefined, opts: VerifyOptions, g: GlobalOptions, out: Output, signal: AbortSignal)
  : Promise<void> {
  const scope = scopeUrl ? parseS3Url(scopeUrl) : undefined;
  const s = await openSession(g, signal);
  try {
    const settled = await settleRotations(rotateContext(s, {}, out));
    for (const r of settled) out.info(`settled interrupted rotation of ${r.url}: ${r.outcome}`);
    const entries = s.manifest.list({ endpoint: s.conn.endpoint, bucket: scope?.bucket, prefix: scope?.key });
    const results: Array<{ url: string; versionId: string | null; fingerprint: string; status: VerifyStatus; detail?: string }> = [];
    await runBatch(entries, opts.jobs ?? 8, (e) => check(s, e, Boolean(opts.deep)), (o) => {
      const status = o.error ? 'error' : o.result!.status;
      const detail = o.error ? o.error.message : o.result!.detail;
      results.push({ url: formatS3Url(o.item), versionId: o.item.versionId || null, fingerprint: o.item.fingerprint, status, detail });
    }, signal);
    results.sort((a, b) => a.url.localeCompare(b.url));
    const bad = results.filter((r) => r.status !== 'ok');
    const counts = Object.fromEntries(Object.keys(describe).map((k) => [k, results.filter((r) => r.status === k).length]));
    const lines = results.map((r) => `${r.status === 'ok' ? out.c.green('✓ OK') : out.c.red(`✗ ${describe[r.status]}`)}  ${r.url}` +
      `${r.versionId ? ` (version ${r.versionId})` : ''}  key ${out.c.cyan(r.fingerprint)}${r.detail ? `: ${r.detail}` : ''}`);
    lines.push(`${results.length} object version(s) checked${opts.deep ? ' (deep)' : ''}: ${counts.ok} OK, ${bad.length} not OK`);
    const worst = bad.some((r) => r.status === 'corrupt' || r.status === 'not-encrypted') ? 'INTEGRITY'
      : bad.some((r) => r.status === 'key-unavailable' || r.status === 'wrong-key') ? 'NO_KEY' : 'NO_OBJECT';
    const failure = bad.length
      ? new Sse3Error(worst, `${bad.length} of ${results.length} object version(s) are not OK`, 'see the list above') : undefined;
    out.result(lines, { ok: !failure, deep: Boolean(opts.deep), counts, objects: results,
      ...(failure && { error: { code: failure.code, message: failure.message, hint: failure.hint, exitCode: failure.exitCode } }) });
    if (failure) throw failure;
  } finally {
    s.close();
  }
}
