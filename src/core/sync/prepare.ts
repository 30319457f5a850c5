import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import { loadKey, parseKeyRef } from '../../keys/sources.js';
import type { ConnectionOptions } from '../../s3/client.js';
import type { HomeManifest } from '../session/home-manifest.js';
import { resolveWriteKeys } from '../session/write-key.js';
import { isS3Url } from '../../s3/url.js';
import type { Tuning } from '../context.js';
import { type ObjectProps, refuseUploadOptions } from '../props.js';
import { loadGivenKeys } from '../session/keyfinder.js';
import { formatScope, parseScope } from '../session/scope.js';
import type { CopySyncSpec } from './copy.js';
import { type FilterRule, pathFilter } from './filter.js';
import type { SyncSpec } from './plan.js';

/** What sync was asked to do, as given. */
export interface SyncRequest {
  key?: string;
  sourceKey?: string;
  delete?: boolean;
  dryRun?: boolean;
  checksum?: boolean;
  /** --exclude and --include in command-line order. */
  filters: FilterRule[];
  /** The upload options: stored with every object written (up, s3 → s3); refused down. */
  props?: ObjectProps;
  tuning: Tuning;
  /** The command's environment: an upload without --key is encrypted with SSE3_KEY when it is set there. */
  env: NodeJS.ProcessEnv;
  /** Which server: an upload without a key takes the default keys recorded for its endpoint. */
  connection?: ConnectionOptions;
  /** Where those default keys are read: the command's manifest, which its session then works with. */
  manifest: HomeManifest;
}

/** A sync ready to plan: between a local folder and s3, or s3 → s3; readKeys open the objects read (candidates). */
export type PreparedSync = ({ kind: 'local'; spec: SyncSpec } | { kind: 'copy'; spec: CopySyncSpec }) & { readKeys?: SseCKey[] };

/**
 * Everything checked locally before the first request: which sides are s3, that two prefixes do not overlap, that the
 * local side is a folder (a download's is made, unless in a dry run), the filters, and the keys, loaded.
 */
export async function prepareSync(src: string, dst: string, req: SyncRequest): Promise<PreparedSync> {
  const [srcS3, dstS3] = [isS3Url(src), isS3Url(dst)];
  if (!srcS3 && !dstS3) {
    throw new Sse3Error('USAGE', 'one side of sync must be an s3:// URL', 'e.g. sse3 sync ./photos s3://backups/photos/ --key REF');
  }
  const common = { delete: Boolean(req.delete), dryRun: Boolean(req.dryRun), filter: pathFilter(req.filters), tuning: req.tuning,
    props: req.props };
  if (srcS3 && dstS3) {
    const [source, dest] = [parseScope(src), parseScope(dst)];
    if (source.bucket === dest.bucket && (source.prefix.startsWith(dest.prefix) || dest.prefix.startsWith(source.prefix))) {
      throw new Sse3Error('USAGE', `${formatScope(source)} and ${formatScope(dest)} overlap`, 'sync between folders neither of which holds the other');
    }
    if (req.checksum) throw new Sse3Error('USAGE', '--checksum compares local files; s3 → s3 always compares recorded checksums');
    const readKeys = await loadGivenKeys(req.sourceKey !== undefined ? [req.sourceKey] : undefined);
    const destKey = req.key !== undefined ? await loadKey(parseKeyRef(req.key)) : undefined;
    return { kind: 'copy', spec: { ...common, source, dest, destKey }, readKeys };
  }
  if (req.sourceKey !== undefined) throw new Sse3Error('USAGE', '--source-key is for s3 → s3; down, --key opens the objects');
  const local = { ...common, checksum: Boolean(req.checksum) };
  if (!srcS3) {
    const root = await uploadRoot(src);
    const scope = parseScope(dst);
    // --key, else SSE3_KEY, else the default keys of the destination and of folders inside it (sse3 keys default).
    const putKeys = await resolveWriteKeys(req.key, req.env, { scope }, req.connection ?? {}, req.manifest);
    return { kind: 'local', spec: { ...local, direction: 'up', root, scope, putKeys } };
  }
  // Not made here: a folder that does not exist yet is made with the first file downloaded into it (plan.ts), so a
  // source that is not there (a wrong bucket name), a bad key reference or a dry run leaves nothing behind.
  refuseUploadOptions(req.props, 'sync');
  const { root } = await downloadRoot(dst);
  const readKeys = await loadGivenKeys(req.key !== undefined ? [req.key] : undefined);
  return { kind: 'local', spec: { ...local, direction: 'down', root, scope: parseScope(src) }, readKeys };
}

/** The folder an upload syncs, absolute: it must be a folder that exists. */
export async function uploadRoot(path: string): Promise<string> {
  const root = resolve(path);
  const st = await fs.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new Sse3Error('USAGE', `${path} is not a folder${st ? '' : ' (it does not exist)'}`,
      'sync uploads a folder; for one file use: sse3 put FILE s3://BUCKET/KEY');
  }
  return root;
}

/** The folder a download syncs into, absolute: a folder, or nothing yet. */
export async function downloadRoot(path: string): Promise<{ root: string }> {
  const root = resolve(path);
  const st = await fs.stat(root).catch(() => undefined);
  if (st && !st.isDirectory()) throw new Sse3Error('USAGE', `${path} exists and is not a folder`, 'sync downloads into a folder');
  return { root };
}
