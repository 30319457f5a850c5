import { Sse3Error } from '../errors.js';
import { describeS3Error } from '../s3/errors.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import { unquoteEtag } from '../core/ssec.js';
import { humanBytes, type Output } from '../output/output.js';
import { withSpinner } from '../output/spinner.js';
import { type GlobalOptions, keyForObject, openSession } from './session.js';

export interface HeadOptions {
  key?: string;
  versionId?: string;
}

export async function head(src: string, opts: HeadOptions, g: GlobalOptions, out: Output, signal: AbortSignal): Promise<void> {
  const loc = parseS3Url(src, { requireKey: true });
  const url = formatS3Url(loc);
  const s = await openSession(g, signal);
  try {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    let found: Awaited<ReturnType<typeof keyForObject>> = {};
    let h;
    try {
      h = await withSpinner(out, `head ${url}`, async () => {
        found = await keyForObject(s, loc, { keyRef: opts.key, versionId: opts.versionId, required: false });
        return s.conn.client.send(new HeadObjectCommand({
          Bucket: loc.bucket, Key: loc.key, VersionId: opts.versionId, ...found.key?.sseC(),
        }), { abortSignal: signal });
      });
    } catch (e) {
      const err = describeS3Error(e, { op: 'head', url, sentFingerprint: found.key?.fingerprint,
        expectedFingerprint: found.fingerprint });
      if (err.code === 'NO_KEY' && found.fingerprint) {
        throw new Sse3Error('NO_KEY', `${url} is encrypted with key ${found.fingerprint}, which sse3 cannot find here`,
          `pass it with --key REF, or put its key file in ${s.paths.keyDir}`);
      }
      throw err;
    }
    const encrypted = h.SSECustomerAlgorithm === 'AES256';
    const matches = found.key && encrypted ? h.SSECustomerKeyMD5 === found.key.keyMd5 : null;
    const entry = found.entry;
    const report = {
      ok: true, url, size: h.ContentLength ?? 0, lastModified: h.LastModified?.toISOString() ?? null,
      etag: unquoteEtag(h.ETag), contentType: h.ContentType ?? null, versionId: h.VersionId ?? null,
      metadata: h.Metadata ?? {},
      sse: { algorithm: h.SSECustomerAlgorithm ?? null, keyMd5: h.SSECustomerKeyMD5 ?? null },
      key: found.key ? { fingerprint: found.key.fingerprint, source: found.key.source, foundBy: found.foundBy, matches } : null,
      manifest: entry ?? null,
    };
    const c = out.c;
    const lines = [
      `${c.bold(url)}${h.VersionId ? `  version ${h.VersionId}` : ''}`,
      `  size           ${humanBytes(report.size)} (${report.size} bytes)`,
      `  last modified  ${report.lastModified ?? '-'}`,
      `  etag           ${report.etag || '-'}`,
      `  content type   ${report.contentType ?? '-'}`,
      ...Object.entries(report.metadata).map(([k, v]) => `  meta ${k.padEnd(9)} ${v}`),
      `  encryption     ${encrypted ? c.green('SSE-C AES256') : c.yellow('none (not SSE-C)')}` +
        (h.SSECustomerKeyMD5 ? `  key MD5 ${h.SSECustomerKeyMD5}` : ''),
      `  key            ${found.key ? `${c.cyan(found.key.fingerprint)} from ${found.key.source}` +
        (matches === true ? c.green('  ✓ matches') : matches === false ? c.red('  ✗ does not match') : '') : '-'}`,
      `  manifest       ${entry ? `key ${c.cyan(entry.fingerprint)}, ${humanBytes(entry.size)}, sha256 ${entry.sha256.slice(0, 16)}…, ` +
        `written ${entry.createdAt}` : c.dim('no record')}`,
    ];
    out.result(lines, report);
  } finally {
    s.close();
  }
}
