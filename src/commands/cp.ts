import { promises as fs } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from '../core/key.js';
import { copyObject, type CopyResult } from '../core/copy.js';
import { type ItemOutcome, runBatch } from '../core/batch.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { listObjects } from '../s3/list.js';
import { baseName, formatS3Url, isS3Url, parseS3Url, type S3Location } from '../s3/url.js';
import { humanBytes, type Output } from '../output/output.js';
import { BatchProgress, transferProgress } from '../output/progress.js';
import { getJson, getOne, renderGet } from './get.js';
import { localFile, putJson, putOne, renderPut, writeKeyRef } from './put.js';
import { type GlobalOptions, keyForObject, openSession, type Session } from './session.js';

export interface CpOptions {
  key?: string;
  sourceKey?: string;
  recursive?: boolean;
  jobs?: number;
  partSize?: number;
  concurrency?: number;
  serverSide?: 'auto' | 'never';
}

const join3 = (prefix: string, rel: string) => (prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`) + rel;

export function renderCopy(out: Output, r: CopyResult, from: string): void {
  out.result(`${out.c.green('✓')} cp ${from} → ${formatS3Url(r)}  ${humanBytes(r.size)}  key ${out.c.cyan(r.fingerprint)}  (${r.method})`,
    copyJson(r, from));
}

const copyJson = (r: CopyResult, from: string) => ({ ...putJson(r), source: from, method: r.method });

/** s3 → s3: the source key from --source-key or the manifest; the destination key from --key, else the same key. */
async function copyOne(s: Session, src: S3Location, dst: S3Location, opts: CpOptions, out: Output, destKey?: SseCKey)
  : Promise<CopyResult> {
  const found = await keyForObject(s, src, { keyRef: opts.sourceKey, required: false });
  if (!found.key && found.fingerprint) {
    throw new Sse3Error('NO_KEY', `${formatS3Url(src)} needs the key with fingerprint ${found.fingerprint}, which sse3 cannot find`,
      'pass it with --source-key REF');
  }
  const key = destKey ?? found.key;
  if (!key) throw new Sse3Error('USAGE', `no key to encrypt ${formatS3Url(dst)} with`, 'pass --key REF');
  const progress = await transferProgress(out, `cp ${baseName(src.key)}`);
  try {
    return await copyObject({
      conn: s.conn, manifest: s.manifest, signal: s.signal, serverSide: opts.serverSide,
      partSize: opts.partSize, concurrency: opts.concurrency,
      source: { ...src, sseKey: found.key, sha256: found.entry?.fingerprint === found.key?.fingerprint ? found.entry?.sha256 : undefined,
        expectedFingerprint: found.fingerprint },
      dest: { ...dst, sseKey: key },
      onStart: (n) => progress.start(n), onBytes: (n) => progress.add(n), onWarning: (m) => out.warn(m),
    });
  } finally {
    progress.stop();
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

export async function cp(src: string, dst: string, opts: CpOptions, g: GlobalOptions, out: Output, signal: AbortSignal)
  : Promise<void> {
  const [srcS3, dstS3] = [isS3Url(src), isS3Url(dst)];
  if (!srcS3 && !dstS3) throw new Sse3Error('USAGE', 'one side of cp must be an s3:// URL', 'for local copies use cp(1)');
  const destKey = dstS3 && (opts.key !== undefined || !srcS3) ? await loadKey(parseKeyRef(writeKeyRef(opts.key))) : undefined;
  if (!srcS3 && !opts.recursive && src !== '-') await localFile(src);
  if (src === '-' || dst === '-') {
    if (opts.recursive) throw new Sse3Error('USAGE', '--recursive cannot read stdin or write stdout');
  }
  if (dst === '-') out.stdoutIsData = true;
  const s = await openSession(g, signal);
  try {
    if (!opts.recursive) {
      if (!srcS3) {
        const loc = parseS3Url(dst);
        if (loc.key === '' || loc.key.endsWith('/')) loc.key += baseName(src);
        renderPut(out, await putOne(s, src, loc, destKey!, opts, out, src === '-' ? undefined : await localFile(src)));
      } else if (!dstS3) {
        const loc = parseS3Url(src, { requireKey: true });
        const isDir = dst.endsWith('/') || (await fs.stat(dst).then((st) => st.isDirectory(), () => false));
        const path = dst === '-' ? undefined : resolve(isDir ? join(dst, baseName(loc.key)) : dst);
        renderGet(out, await getOne(s, loc, path, { key: opts.sourceKey ?? opts.key }, out));
      } else {
        const from = parseS3Url(src, { requireKey: true });
        const to = parseS3Url(dst);
        if (to.key === '' || to.key.endsWith('/')) to.key += baseName(from.key);
        renderCopy(out, await copyOne(s, from, to, opts, out, destKey), formatS3Url(from));
      }
      return;
    }
    await cpRecursive(s, src, dst, srcS3, dstS3, opts, out, destKey);
  } finally {
    s.close();
  }
}

async function cpRecursive(s: Session, src: string, dst: string, srcS3: boolean, dstS3: boolean, opts: CpOptions, out: Output,
  destKey?: SseCKey): Promise<void> {
  type Item = BatchItem;
  let items: AsyncIterable<Item>;
  if (!srcS3) {
    const root = resolve(src);
    const to = parseS3Url(dst);
    items = (async function* () {
      for await (const path of walk(root)) {
        const rel = relative(root, path).split(sep).join('/');
        const loc = { bucket: to.bucket, key: join3(to.key, rel) };
        yield { from: path, run: async () => batchLine(out, path, putJson(await putOne(s, path, loc, destKey!, opts, out,
          await localFile(path)))) };
      }
    })();
  } else {
    const from = parseS3Url(src);
    const prefix = from.key === '' || from.key.endsWith('/') ? from.key : `${from.key}/`;
    const root = dstS3 ? '' : resolve(dst);
    const under = root.endsWith(sep) ? root : root + sep;
    items = (async function* () {
      for await (const o of listObjects(s.conn, from.bucket, prefix, s.signal)) {
        if (o.key.endsWith('/')) continue; // folder markers
        const rel = o.key.slice(prefix.length);
        const srcLoc = { bucket: from.bucket, key: o.key };
        if (dstS3) {
          const to = parseS3Url(dst);
          const dstLoc = { bucket: to.bucket, key: join3(to.key, rel) };
          yield { from: formatS3Url(srcLoc), run: async () =>
            batchLine(out, formatS3Url(srcLoc), copyJson(await copyOne(s, srcLoc, dstLoc, opts, out, destKey), formatS3Url(srcLoc))) };
        } else {
          const path = resolve(root, ...rel.split('/'));
          yield { from: formatS3Url(srcLoc), run: async () => {
            // Object keys may hold "../": such a key must not write anywhere but under the destination.
            if (!path.startsWith(under)) {
              throw new Sse3Error('LOCAL_IO', `${formatS3Url(srcLoc)} would be written outside ${root}; skipped`);
            }
            await fs.mkdir(resolve(path, '..'), { recursive: true });
            return batchLine(out, formatS3Url(srcLoc), getJson(await getOne(s, srcLoc, path, { key: opts.sourceKey ?? opts.key }, out)));
          } };
        }
      }
    })();
  }
  await reportBatch(out, items, opts.jobs ?? 8, s.signal);
}

/** One object of a batch: its source, and the work that yields its JSON result and human line. */
export interface BatchItem {
  from: string;
  run: () => Promise<{ json: object; line: string }>;
}

const batchLine = (out: Output, from: string, json: { url: string; path?: string | null; size: number }) =>
  ({ json, line: `${out.c.green('✓')} ${from} → ${json.path ?? json.url}  ${humanBytes(json.size)}` });

/** Run a batch, printing a line (or an NDJSON object) per item and a summary; throws if any failed. */
export async function reportBatch(out: Output, items: AsyncIterable<BatchItem>, jobs: number, signal: AbortSignal): Promise<void> {
  out.batch = await BatchProgress.create(out);
  const onDone = (o: ItemOutcome<BatchItem, { json: object; line: string }>) => {
    if (o.error) {
      const msg = o.error.message;
      if (out.json) out.ndjson({ ok: false, source: o.item.from, error: { code: (o.error as Sse3Error).code ?? 'S3', message: msg } });
      else if (out.batch) out.batch.log(`${out.c.red('✗')} ${o.item.from}: ${msg}`);
      else out.stderr.write(`${out.c.red('✗')} ${o.item.from}: ${msg}\n`);
    } else if (out.json) {
      out.ndjson(o.result!.json);
    } else {
      out.result(o.result!.line, o.result!.json);
    }
  };
  const counted = (async function* () {
    for await (const item of items) {
      out.batch?.seen();
      yield item;
    }
  })();
  let ok = 0;
  let failed = 0;
  try {
    ({ ok, failed } = await runBatch(counted, jobs, (item) => item.run(), (o) => {
      out.batch?.finished(!o.error);
      onDone(o);
    }, signal));
  } finally {
    out.batch?.stop();
    out.batch = undefined;
  }
  if (out.json) out.ndjson({ summary: { ok, failed } });
  else out.info(`${ok} ok, ${failed} failed`);
  if (failed > 0) {
    throw new Sse3Error('S3', `${failed} of ${ok + failed} objects failed`, 'the lines above say why; rerun to retry them');
  }
}
