import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { Sse3Error } from '../../errors.js';
import type { SseCKey } from '../../keys/key.js';
import { downloadDestination } from '../../local/destination.js';
import { OpenFile } from '../../local/files.js';
import type { ManifestEntry } from '../../manifest/entry.js';
import { newEntry } from '../../manifest/entry.js';
import type { ManifestStore } from '../../manifest/store.js';
import { agentFor } from '../../s3/agent.js';
import { type Connection, type ConnectionOptions, DEFAULT_TIMEOUT_SECONDS } from '../../s3/client.js';
import { LinkObjects } from '../../s3/link-objects.js';
import type { S3ClientLike } from '../../s3/sdk-client.js';
import { type ParsedLink, refuseExpired } from '../../s3/presign.js';
import { formatS3Url } from '../../s3/url.js';
import type { Io, TransferEvents } from '../context.js';
import { confirmsKey } from '../keyed.js';
import { downloadObject } from './download.js';
import { MAX_PART_SIZE } from './partsize.js';
import type { GetOutcome, LocalFile } from './single.js';

/**
 * get and put through a presigned link (sse3 presign), with the key and no S3 credentials: the object's data moves
 * through get's own download path (ranges, temporary file, checks); an upload is one PutObject of the file. Nothing is
 * recorded in this home's manifest: the object belongs to whoever made the link, and their sse3 records it when it
 * next sees it (head, get, adopt).
 */

/** The connection a link gives: its data requests, and no client for anything else (a link is signed for one request). */
async function linkConnection(link: ParsedLink, g: ConnectionOptions, env: NodeJS.ProcessEnv): Promise<Connection> {
  const agent = await agentFor(link.url, g.caBundle ?? env.AWS_CA_BUNDLE, env);
  const timeoutMs = (g.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const objects = new LinkObjects(link, { agent, socketTimeoutMs: timeoutMs, connectTimeoutMs: Math.min(10_000, timeoutMs) });
  const noClient: S3ClientLike = {
    send: (() => Promise.reject(new Sse3Error('USAGE', `a presigned link is signed for one request only (${link.shownAs})`))) as
      unknown as S3ClientLike['send'],
    destroy: () => undefined,
  };
  return { client: noClient, singleAttemptClient: noClient, objects, endpoint: link.url.origin, region: '', limits: {},
    close: () => agent.destroy() };
}

/** A link's transfers record nothing: a manifest that is never written (see the module's comment). */
const NO_MANIFEST = {} as ManifestStore;

export interface LinkRun {
  g: ConnectionOptions;
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** Download the object of a GET link, opened with sseKey, to a local path or a stream: get's download, under get's checks. */
export async function getViaLink(link: ParsedLink, to: string | Writable, sseKey: SseCKey, run: LinkRun, events: TransferEvents = {})
  : Promise<GetOutcome> {
  refuseExpired(link);
  const path = typeof to === 'string' ? to : undefined;
  const target = typeof to === 'string' ? await downloadDestination(to, { devices: true }) : { kind: 'stream' as const, stream: to, name: 'stdout' };
  const conn = await linkConnection(link, run.g, run.env ?? process.env);
  try {
    const io: Io = { conn, manifest: NO_MANIFEST, signal: run.signal };
    const object = { bucket: link.bucket, key: link.key };
    const r = await downloadObject({ io, object, sseKey, expected: { fingerprint: sseKey.fingerprint }, target, events });
    if (r.checkedAgainst === 'none') events.onWarning?.(`${link.shownAs} carries no SHA-256 sse3 can read through a link: integrity not verified`);
    return { ...r, url: formatS3Url(object), path: path ?? null, fingerprint: sseKey.fingerprint, keySource: sseKey.source };
  } finally {
    conn.close();
  }
}

/**
 * Upload a local file through a PUT link, encrypted with sseKey: one PutObject (a link cannot make a multipart upload),
 * the answer checked for our key, the file checked unchanged after it was sent. The object carries none of sse3's
 * metadata: the link was signed before its SHA-256 was known, and S3 refuses unsigned x-amz-meta-* on a link.
 */
export async function putViaLink(link: ParsedLink, file: LocalFile, sseKey: SseCKey, run: LinkRun, events: TransferEvents = {})
  : Promise<ManifestEntry & { parts: number }> {
  refuseExpired(link);
  if (file.size > MAX_PART_SIZE) {
    throw new Sse3Error('USAGE', `${file.path} is ${file.size} bytes; a presigned link uploads at most 5 GiB (one PutObject)`,
      'upload it with credentials: sse3 put');
  }
  const conn = await linkConnection(link, run.g, run.env ?? process.env);
  const opened = await OpenFile.open(file);
  try {
    const body = Buffer.allocUnsafe(file.size);
    await opened.read(body, 0);
    await opened.assertUnchanged();
    events.onStart?.(file.size);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const resp = await conn.objects.putObject({ Bucket: link.bucket, Key: link.key, Body: body, ContentLength: body.length,
      ...sseKey.sseC() }, { abortSignal: run.signal });
    const url = formatS3Url(link);
    if (!confirmsKey(resp, sseKey)) {
      throw new Sse3Error('NOT_ENCRYPTED', `the server did not confirm SSE-C encryption of ${url} with this key: it may store plaintext`,
        `a link cannot delete it: ask whoever made the link to delete ${url}`);
    }
    await opened.assertUnchanged().catch((e: Sse3Error) => {
      throw new Sse3Error(e.code, `${e.message.replace(/; nothing was stored$/, '')}; what the link stored at ${url} is not the file now`,
        `upload it again (a link cannot delete it; the link's maker can: sse3 rm ${url})`);
    });
    events.onBytes?.(body.length);
    return { ...newEntry({ endpoint: link.url.origin, bucket: link.bucket, key: link.key }, { versionId: resp.VersionId, fingerprint: sseKey.fingerprint, size: body.length,
      sha256, etag: resp.ETag, mtimeMs: null }), parts: 1 };
  } finally {
    await opened.close();
    conn.close();
  }
}
