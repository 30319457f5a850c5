import { constants, promises as fs } from 'node:fs';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from '../keys/key.js';
import { parseKeyRef } from '../keys/sources.js';
import { localIoError } from '../local/files.js';
import type { CommandRun } from '../options.js';
import { withHomeManifest } from '../core/session/home-manifest.js';
import { keyForObject, loadGivenKeys, openSession } from '../core/session/session.js';
import { resolveWriteKeys } from '../core/session/write-key.js';
import { signingSettings } from '../s3/client.js';
import { parseExpires, presignObject, SSEC_ALGORITHM_HEADER, SSEC_KEY_HEADER, SSEC_KEY_MD5_HEADER } from '../s3/presign.js';
import { formatS3Url, parseS3Url, type S3Location } from '../s3/url.js';
import { defaultKeyNote } from '../output/render-key-defaults.js';

export interface PresignOptions {
  expires?: string;
  put?: boolean;
  key?: string;
  headersFile?: string;
}

/** Default life of a link: long enough to hand it over, short enough that a forgotten one soon stops working. */
const DEFAULT_EXPIRES = '15m';

/**
 * sse3 presign s3://B/K: a SigV4 link for one GET (or, with --put, one PutObject) of the object, signed for the SSE-C
 * algorithm and the key's MD5 so it works only with that key, which is never in the link or in anything printed. The
 * link goes to stdout alone (one line); the rest to stderr, or with --json one document on stdout.
 */
export async function presign(src: string, opts: PresignOptions, { g, out, signal }: CommandRun): Promise<void> {
  if (opts.key !== undefined) parseKeyRef(opts.key);
  const loc = parseS3Url(src, { requireKey: true });
  const expiresSeconds = parseExpires(opts.expires ?? DEFAULT_EXPIRES);
  if (opts.headersFile !== undefined) await refuseExisting(opts.headersFile);
  const method = opts.put ? 'PUT' : 'GET';
  const sseKey = opts.put ? await uploadKey(loc, opts.key, g, out) : await downloadKey(loc, opts.key, { g, out, signal });
  const signingDate = new Date();
  const link = await presignObject(await signingSettings(g), { method, bucket: loc.bucket, key: loc.key, expiresSeconds, sseKey, signingDate });
  if (opts.headersFile !== undefined) await writeHeadersFile(opts.headersFile, sseKey);
  const expiresAt = new Date(signingDate.getTime() + expiresSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const json = { url: link.url, method, expires: expiresSeconds, expiresAt, bucket: loc.bucket, key: loc.key,
    fingerprint: sseKey.fingerprint, headers: [SSEC_ALGORITHM_HEADER, SSEC_KEY_HEADER, SSEC_KEY_MD5_HEADER] };
  out.result(link.url, json);
  const how = method === 'GET' ? `sse3 get LINK FILE --key REF` : `sse3 put FILE LINK --key REF`;
  out.info(`${method} link to ${formatS3Url(loc)}, valid until ${expiresAt}, only with key ${sseKey.fingerprint} (${sseKey.source}); ` +
    `the key is not in the link: use it with ${how}` +
    (opts.headersFile !== undefined ? `, or curl -H @${opts.headersFile} ${method === 'PUT' ? '-T FILE ' : '-o FILE '}"LINK"` : ''));
}

/** The key a download link is made for: the one get would open the object with (the manifest, the tag, --key). */
async function downloadKey(loc: S3Location, given: string | undefined, run: Pick<CommandRun, 'g' | 'out' | 'signal'>): Promise<SseCKey> {
  const s = await openSession(run.g, { signal: run.signal, out: run.out }, { keys: await loadGivenKeys(given === undefined ? [] : [given]) });
  try {
    const found = await keyForObject(s, loc, { required: true, op: 'get', plain: true });
    if (!found.key) {
      throw new Sse3Error('NOT_ENCRYPTED', `${formatS3Url(loc)} is not encrypted with SSE-C: sse3 presigns SSE-C objects only`,
        'a plain object needs no key: aws s3 presign makes its link');
    }
    return found.key;
  } finally {
    s.close();
  }
}

/** The key an upload link is made for: --key, else SSE3_KEY, else the default key of the object's bucket or folder. */
async function uploadKey(loc: S3Location, given: string | undefined, g: CommandRun['g'], out: CommandRun['out']): Promise<SseCKey> {
  return withHomeManifest(async (manifest) => {
    const writeKey = (await resolveWriteKeys(given, process.env, loc, g, manifest)).for(loc.key);
    if (writeKey.defaultOf) out.info(defaultKeyNote(out, writeKey));
    return writeKey.key;
  });
}

/** A headers file is never written over: refused before anything is signed, and created with O_EXCL after. */
async function refuseExisting(path: string): Promise<void> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (st?.isSymbolicLink()) throw new Sse3Error('USAGE', `--headers-file ${path} is a symbolic link; sse3 writes the key only to a new file`, 'name a file that does not exist');
  if (st) throw new Sse3Error('USAGE', `--headers-file ${path} exists; sse3 never writes over a file`, 'remove it, or name a new file');
}

/**
 * The three SSE-C headers, for curl -H @PATH: a new file only the user can read (0600, O_EXCL: never through a link or over
 * a file). It holds the key itself: keep it as the key is kept.
 */
async function writeHeadersFile(path: string, sseKey: SseCKey): Promise<void> {
  const p = sseKey.sseC();
  const text = `${SSEC_ALGORITHM_HEADER}: ${p.SSECustomerAlgorithm}\n${SSEC_KEY_HEADER}: ${p.SSECustomerKey}\n${SSEC_KEY_MD5_HEADER}: ${p.SSECustomerKeyMD5}\n`;
  let handle;
  try {
    handle = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await handle.writeFile(text);
  } catch (e) {
    throw localIoError(e as NodeJS.ErrnoException, 'writing', path);
  } finally {
    await handle?.close();
  }
}
