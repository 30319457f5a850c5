import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import type { Tuning } from '../core/context.js';
import { type ObjectProps, refuseUploadOptions } from '../core/props.js';
import type { SseCKey } from '../keys/key.js';
import { walkLocalSorted } from '../core/sync/localwalk.js';
import { formatScope, parseScope, type Scope } from '../core/session/scope.js';
import { type FilterRule, pathFilter } from '../core/sync/filter.js';
import { listRelative } from '../core/sync/plan.js';
import { type HomeManifest, withHomeManifest } from '../core/session/home-manifest.js';
import { loadGivenKeys, openSession, type Session } from '../core/session/session.js';
import { copyOne, getOne, type LocalFile, localFile, localTarget, putOne } from '../core/transfer/single.js';
import { makeFolderInside, type WriteRoot, writeRoot } from '../local/inside.js';
import { localPathOf } from '../local/names.js';
import { partSizeFor } from '../core/transfer/partsize.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { resolveWriteKeys, type WriteKeys } from '../core/session/write-key.js';
import { defaultKeyNote, withKeyChoice } from '../output/render-key-defaults.js';
import { baseName, formatS3Url, isS3Url, objectKeyFor, parseS3Url, type S3Location } from '../s3/url.js';
import { SMALL_OBJECT, SMALL_OBJECT_JOBS } from '../core/runtime/batch.js';
import { type BatchItem, type Rendered, reportBatch, type ReportOptions } from '../output/batch.js';
import { objectIds, type Output } from '../output/output.js';
import { withProgress } from '../output/progress.js';
import { readingVersion } from '../core/objects/versions.js';
import { downloadsSummary, renderCopy, renderGet, renderPut, renderTransferItem } from '../output/render.js';

export interface CpOptions extends Tuning {
  /** The destination's key (one) when writing to s3; candidate keys for the source when reading to local. */
  key?: string[];
  /** Candidate keys for the source, repeatable. */
  sourceKey?: string[];
  recursive?: boolean;
  /** One version of the source object (s3 → s3: copied onto its own key, it becomes the current version again). */
  versionId?: string;
  jobs: number;
  /** With --recursive: objects under 1 MiB in flight (default SMALL_OBJECT_JOBS; --jobs when given). */
  smallJobs?: number;
  /** The upload options (cli/options.ts withUploadProps): stored with what is written to s3. */
  props?: ObjectProps;
  /** With --recursive: --exclude and --include in command-line order, judged as sync judges them (core/sync/filter.ts). */
  filters?: FilterRule[];
}

/**
 * What happens to each source once its copy is confirmed (mv deletes it): given the copy's rendered result, it returns the
 * item's. Without it, cp: the sources stay. A failure here fails the item; the copy stays where it was written.
 */
export interface AfterCopy {
  /** A local file uploaded, as it was when chosen (its change stamp). */
  file(s: Session, file: LocalFile, copied: Rendered): Promise<Rendered>;
  /** An object downloaded or copied to s3: the current version, or the one named. */
  object(s: Session, from: S3Location, versionId: string | undefined, copied: Rendered): Promise<Rendered>;
}

export function cp(src: string, dst: string, opts: CpOptions, run: CommandRun): Promise<void> {
  return copyThen(src, dst, opts, run);
}

/** cp's one path for every direction, single and --recursive: each source handed to `after` once its copy is confirmed. */
export async function copyThen(src: string, dst: string, opts: CpOptions, { g, out, signal }: CommandRun, after?: AfterCopy)
  : Promise<void> {
  // Object data on stdout: from the start, before anything can fail, what sse3 says goes to stderr (JSON included).
  const stdout = dst === '-' && !opts.recursive ? out.dataStream() : undefined;
  const [srcS3, dstS3] = [isS3Url(src), isS3Url(dst)];
  if (!srcS3 && !dstS3) throw new Sse3Error('USAGE', 'one side of cp must be an s3:// URL', 'for local copies use cp(1)');
  if (opts.recursive && (src === '-' || dst === '-')) throw new Sse3Error('USAGE', '--recursive cannot read stdin or write stdout');
  const filter = pathFilter(opts.filters ?? []);
  if (filter && !opts.recursive) {
    throw new Sse3Error('USAGE', '--exclude and --include choose among the files and objects --recursive copies', 'add --recursive');
  }
  if (opts.versionId !== undefined && (!srcS3 || opts.recursive)) {
    throw new Sse3Error('USAGE', '--version-id names one version of the source object: it needs an s3:// source and goes without --recursive');
  }
  if (!dstS3) refuseUploadOptions(opts.props, 'cp');
  if (dstS3 && (opts.key?.length ?? 0) > 1) {
    throw new Sse3Error('USAGE', 'cp to s3 takes one --key: the key that encrypts the destination',
      'keys that may open the source go in --source-key REF (repeatable)');
  }
  await withHomeManifest(async (manifest) => {
    // Every local check happens before the first request leaves the process.
    // s3 → s3: --key re-keys, else each copy keeps its source's key; an upload: --key, SSE3_KEY, else the destination's default.
    const destKey = dstS3 && srcS3 && opts.key !== undefined ? await loadKey(parseKeyRef(opts.key[0]!)) : undefined;
    const uploadKeys = !srcS3 ? await uploadKeysFor(src, dst, opts, { g, out, manifest }) : undefined;
    const file = !srcS3 && !opts.recursive && src !== '-' ? await localFile(src) : undefined;
    if (file) partSizeFor(file.size, opts.partSize);
    if (!srcS3 && opts.recursive) await localFolder(src);
    // Keys that may open the source: --source-key, or for s3 → local also --key.
    const sourceKeys = srcS3 ? await loadGivenKeys(opts.sourceKey ?? (dstS3 ? undefined : opts.key)) : [];
    const s = await openSession(g, { signal, out }, { keys: sourceKeys, manifest,
      writing: [destKey, ...uploadKeys?.all.map((k) => k.key) ?? []].filter((k): k is SseCKey => k !== undefined) });
    try {
      if (opts.recursive) await cpRecursive(s, src, dst, { ...opts, filter }, out, { destKey, uploadKeys }, after);
      else out.show(await cpOne(s, src, dst, opts, out, { destKey, uploadKeys, file, stdout, after }));
    } finally {
      s.close();
    }
  });
}

/** The keys a cp writes with: destKey re-keys an s3 → s3 copy; uploadKeys encrypt what a local source uploads. */
interface CpKeys {
  destKey?: SseCKey;
  uploadKeys?: WriteKeys;
}

/** The keys of an upload (--key, SSE3_KEY, else the destination's default keys), and which default, when one is used. */
async function uploadKeysFor(src: string, dst: string, opts: CpOptions,
  { g, out, manifest }: { g: CommandRun['g']; out: Output; manifest: HomeManifest }): Promise<WriteKeys> {
  const target = opts.recursive ? { scope: parseScope(dst) } : objectKeyFor(parseS3Url(dst), baseName(src));
  const keys = await resolveWriteKeys(opts.key?.[0], process.env, target, g, manifest);
  for (const k of keys.all) if (k.defaultOf) out.info(defaultKeyNote(out, k));
  return keys;
}

/** What cpOne works with besides the operands: the keys it writes with, the file to upload, stdout, and what follows. */
interface OneCopy extends CpKeys {
  file?: LocalFile;
  stdout?: NodeJS.WriteStream;
  after?: AfterCopy;
}

async function cpOne(s: Session, src: string, dst: string, opts: CpOptions, out: Output, { destKey, uploadKeys, file, stdout, after }: OneCopy)
  : Promise<Rendered> {
  if (!isS3Url(src)) {
    const loc = objectKeyFor(parseS3Url(dst), baseName(src));
    const writeKey = uploadKeys!.for(loc.key);
    const put = withKeyChoice(renderPut(out, await withProgress(out, `put ${baseName(loc.key)}`, (ev) =>
      putOne(s, file ?? { stream: process.stdin }, loc, writeKey.key, { props: opts.props, tuning: opts }, ev))), writeKey);
    return after && file ? after.file(s, file, put) : put;
  }
  const from = parseS3Url(src, { requireKey: true });
  const { versionId } = opts;
  if (!isS3Url(dst)) {
    const to = stdout ?? await localTarget(dst, from);
    // A source that is deleted next must land in a regular file: never only in a FIFO or device, which keep nothing.
    const getting = { versionId, makeFolder: dst.endsWith('/'), regularOnly: Boolean(after) };
    const got = renderGet(out, await withProgress(out, `get ${baseName(from.key)}`, (ev) =>
      readingVersion(s, from, versionId, () => getOne(s, from, to, getting, ev))));
    return after ? after.object(s, from, versionId, got) : got;
  }
  const to = objectKeyFor(parseS3Url(dst), baseName(from.key));
  const copied = renderCopy(out, await withProgress(out, `cp ${baseName(from.key)}`, (ev) =>
    readingVersion(s, from, versionId, () => copyOne(s, from, to, { destKey, props: opts.props, tuning: opts, versionId }, ev))),
  formatS3Url(from), versionId);
  return after ? after.object(s, from, versionId, copied) : copied;
}

/** The destination key of a relative path under a scope. */
const under = (scope: Scope, rel: string) => ({ bucket: scope.bucket, key: scope.prefix + rel });

async function cpRecursive(s: Session, src: string, dst: string, opts: CpOptions & { filter?: (rel: string) => boolean }, out: Output,
  { destKey, uploadKeys }: CpKeys, after?: AfterCopy): Promise<void> {
  // ids: what names the item in its JSON line should it fail, as its success would (source, url, bucket, key, path).
  const item = (label: string, ids: Record<string, unknown>, run: BatchItem<Rendered>['run'], size?: number): BatchItem<Rendered> =>
    ({ label, ids, run, small: size !== undefined && size < SMALL_OBJECT });
  // Rows of confirmed objects are written in groups: one transaction per few dozen small objects, not per object.
  s.manifest.deferRecords();
  let items: AsyncIterable<BatchItem<Rendered>>;
  let summary: ReportOptions<Rendered>['summary'];
  let plain = 0;
  if (!isS3Url(src)) {
    const root = resolve(src);
    const to = parseScope(dst);
    items = (async function* () {
      for await (const f of walkLocalSorted(root, { followSymlinks: true, include: opts.filter })) {
        // A dangling link, a link loop, a FIFO: an item that fails with its reason, so it is never skipped silently.
        if (f.kind === 'skip') {
          yield item(f.path, { path: f.path, ...objectIds(formatS3Url(under(to, f.rel))) },
            async () => { throw new Sse3Error('LOCAL_IO', `${f.path}: ${f.reason}; not copied`); });
          continue;
        }
        yield item(f.path, { path: f.path, ...objectIds(formatS3Url(under(to, f.rel))) }, async (ev) => {
          const file = await localFile(f.path);
          const put = renderTransferItem(out, f.path, renderPut(out, await putOne(s, file, under(to, f.rel),
            uploadKeys!.for(under(to, f.rel).key).key, { props: opts.props, tuning: opts }, ev)));
          return after ? after.file(s, file, put) : put;
        }, f.size);
      }
    })();
  } else {
    const from = parseScope(src);
    const root = isS3Url(dst) ? undefined : await writeRoot(dst);
    if (root) summary = (b, headline) => downloadsSummary(b, headline, plain);
    items = (async function* () {
      for await (const { key, rel, size } of listRelative(s, from, opts.filter)) {
        const srcLoc = { bucket: from.bucket, key };
        const label = formatS3Url(srcLoc);
        if (isS3Url(dst)) {
          const dstLoc = under(parseScope(dst), rel);
          yield item(label, { source: label, ...objectIds(formatS3Url(dstLoc)) }, async (ev) => {
            const copied = renderTransferItem(out, label,
              renderCopy(out, await copyOne(s, srcLoc, dstLoc, { destKey, props: opts.props, tuning: opts, givenAsCandidates: true }, ev), label));
            return after ? after.object(s, srcLoc, undefined, copied) : copied;
          }, size);
        } else {
          yield item(label, objectIds(label), async (ev) => {
            const got = await getOne(s, srcLoc, await localPathUnder(root!, rel, label), { regularOnly: true, givenAsCandidates: true }, ev);
            if (!got.encrypted) plain++;
            const downloaded = renderTransferItem(out, label, renderGet(out, got));
            return after ? after.object(s, srcLoc, undefined, downloaded) : downloaded;
          }, size);
        }
      }
    })();
  }
  const nothing = isS3Url(src) ? `nothing under ${formatScope(parseScope(src))} to copy` : `no files under ${src} to copy`;
  await reportBatch(out, items, { jobs: opts.jobs, smallJobs: opts.smallJobs ?? SMALL_OBJECT_JOBS, signal: s.signal, render: (r) => r,
    nothing, summary });
}

/** Where an object's relative key lands under the destination folder (local/names.ts), its folder made: never outside it. */
async function localPathUnder(root: WriteRoot, rel: string, url: string): Promise<string> {
  const path = localPathOf(root.path, rel, url);
  await makeFolderInside(root, path);
  return path;
}

/** The folder cp -r uploads, checked before anything is sent. */
async function localFolder(path: string): Promise<void> {
  const st = await fs.stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new Sse3Error('LOCAL_IO', `cannot read ${path}: ${e.code === 'ENOENT' ? 'no such folder' : e.code ?? e}`);
  });
  if (!st.isDirectory()) throw new Sse3Error('USAGE', `${path} is not a folder`, 'copy a single file without --recursive');
}
