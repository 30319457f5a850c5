import { appendFileSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Sse3Error } from '../errors.js';
import { endpointIdentity } from '../manifest/entry.js';
import { RETRY_ATTEMPTS, retryDelayMs } from './retry.js';

/** Connection settings shared by every command that talks to S3. */
export interface ConnectionOptions {
  endpointUrl?: string;
  region?: string;
  profile?: string;
  caBundle?: string;
  /** Seconds a connection may stay silent before the request fails. */
  timeout?: number;
  /** 'when_required' (default: works with Ceph RGW and older MinIO) or 'when_supported' (SDK default). */
  checksums?: 'when_required' | 'when_supported';
}

export interface Connection {
  /** @aws-sdk/client-s3's S3Client; typed loosely so this module's type does not load the SDK. */
  client: import('@aws-sdk/client-s3').S3Client;
  /** Same settings without SDK retries: for requests sse3 retries itself (withRetries), such as bodies streamed from disk. */
  singleAttemptClient: import('@aws-sdk/client-s3').S3Client;
  /** Stable identity of the server, used as the manifest's endpoint column. */
  endpoint: string;
  region: string;
}

/** Identity used in the manifest for objects on AWS itself (bucket names are global there). */
export const AWS_ENDPOINT_ID = 'https://s3.amazonaws.com';

export const DEFAULT_TIMEOUT_SECONDS = 60;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The SDK prints some warnings with console.warn when it has no logger of its own — "An error was encountered in a
 * non-retryable streaming request." once per request in flight when Ctrl-C aborts them. sse3 reports every failure
 * itself, so its logger says nothing. It has no info or error method on purpose: the SDK calls those only if they
 * exist (`logger.info?.(…)`), so it does not build a log record of every request for nothing.
 */
type SdkLogger = NonNullable<import('@aws-sdk/client-s3').S3ClientConfig['logger']>;
const SILENT_LOGGER = { debug: () => undefined, warn: () => undefined } as unknown as SdkLogger;

/**
 * One TLS context that trusts the system roots plus the given PEM bundle, built
 * once per process. Passing a `ca` list to the agent instead would re-parse
 * every root certificate for each new connection (~45 ms each here).
 */
function trustingAlso(pem: Buffer): SecureContext {
  const context = createSecureContext();
  const native = (context as unknown as { context?: { addCACert?: (cert: Buffer) => void } }).context;
  if (typeof native?.addCACert !== 'function') return createSecureContext({ ca: [...rootCertificates, pem.toString('utf8')] });
  // A bundle may hold several certificates; each is added on its own.
  for (const cert of pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    native.addCACert(Buffer.from(cert));
  }
  return context;
}

/** Manifest identity of an endpoint URL (see endpointIdentity: one server under several spellings is one identity). */
export const endpointId = (url: URL): string => endpointIdentity(url);

function parseEndpoint(text: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Sse3Error('USAGE', `${from} is not a URL: "${text}"`, 'e.g. --endpoint-url https://s3.example.com');
  }
  if (url.protocol === 'http:') {
    throw new Sse3Error('INSECURE_ENDPOINT',
      `refusing to send an SSE-C key over plain HTTP (${from} is ${url.origin}): anyone on the path could read the key`,
      'use the server\'s https:// endpoint; a key that was ever sent over http:// must be considered exposed — rotate it');
  }
  if (url.protocol !== 'https:') {
    throw new Sse3Error('USAGE', `${from} must be an https:// URL, got "${text}"`);
  }
  return url;
}

/**
 * Resolve where requests go and build the client. The endpoint is resolved
 * here, not by the SDK, so a plain-HTTP endpoint from any source (flag,
 * environment, profile) is refused before a request can leave the process.
 */
export async function connect(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const { loadSharedConfigFiles } = await import('@smithy/core/config');
  const profileName = opts.profile ?? env.AWS_PROFILE ?? 'default';
  const shared = await loadSharedConfigFiles();
  const profile = { ...(shared.credentialsFile?.[profileName] ?? {}), ...(shared.configFile?.[profileName] ?? {}) };
  if (opts.profile && !shared.configFile?.[opts.profile] && !shared.credentialsFile?.[opts.profile]) {
    throw new Sse3Error('USAGE', `profile "${opts.profile}" is not in the AWS config or credentials file`,
      'list profiles with: aws configure list-profiles');
  }

  const candidates: Array<[string | undefined, string]> = [
    [opts.endpointUrl, '--endpoint-url'],
    [env.AWS_ENDPOINT_URL_S3, 'AWS_ENDPOINT_URL_S3'],
    [env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'],
    [profile.endpoint_url, `endpoint_url of profile ${profileName}`],
    [profile.services ? shared.configFile?.[`services.${profile.services}`]?.['s3.endpoint_url'] : undefined,
      `s3 endpoint_url of [services ${profile.services}]`],
  ];
  const chosen = candidates.find(([v]) => v !== undefined && v !== '');
  const url = chosen ? parseEndpoint(chosen[0]!, chosen[1]) : undefined;
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? profile.region ?? 'us-east-1';

  const caFile = opts.caBundle ?? env.AWS_CA_BUNDLE ?? profile.ca_bundle;
  let secureContext: SecureContext | undefined;
  if (caFile) {
    try {
      secureContext = trustingAlso(readFileSync(caFile));
    } catch (e) {
      throw new Sse3Error('LOCAL_IO', `cannot read CA bundle ${caFile}: ${(e as NodeJS.ErrnoException).code ?? e}`,
        'pass a PEM file with --ca-bundle FILE or AWS_CA_BUNDLE');
    }
  }

  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [{ S3Client }, { ConfiguredRetryStrategy }] = await Promise.all([import('@aws-sdk/client-s3'), import('@smithy/core/retry')]);
  const checksums = (opts.checksums ?? 'when_required') === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const config = {
    region,
    profile: opts.profile,
    endpoint: url?.href,
    // Ceph RGW and MinIO serve path-style by default; virtual-hosted needs DNS set up for each bucket.
    forcePathStyle: url !== undefined,
    // sse3 resolves the endpoint itself (above); the SDK must not pick another one from config files,
    // such as a [services] section, behind the plain-HTTP check.
    ignoreConfiguredEndpointUrls: true,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    // sse3's one retry policy (src/s3/retry.ts), also used for the requests sse3 retries itself.
    retryStrategy: new ConfiguredRetryStrategy(RETRY_ATTEMPTS, retryDelayMs),
    logger: SILENT_LOGGER,
    requestHandler: {
      httpsAgent: new Agent({ keepAlive: true, maxSockets: 32, secureContext }),
      // Connecting (TCP and TLS handshake) counts as silence too, capped so a dead host is reported quickly.
      connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, (opts.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000),
      // --timeout is how long the server may stay silent, at any point of a request or a response body:
      // a hung server becomes an error, while a slow but moving transfer of any size may go on.
      socketTimeout: (opts.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    },
  } satisfies import('@aws-sdk/client-s3').S3ClientConfig;
  const client = new S3Client(config);
  const singleAttemptClient = new S3Client({ ...config, retryStrategy: new ConfiguredRetryStrategy(1) });
  // Over HTTPS, TLS already protects the body in transit and sse3 checks the plaintext's SHA-256 end to end:
  // hashing every upload again for the signature would cost a full extra pass of CPU.
  for (const c of [client, singleAttemptClient]) {
    // Last line of defence: no request carrying an SSE-C key may leave over anything but HTTPS.
    c.middlewareStack.add((next) => async (args) => {
      const protocol = (args.request as { protocol?: string }).protocol;
      if (protocol !== undefined && protocol !== 'https:') {
        throw new Sse3Error('INSECURE_ENDPOINT', `refusing to send a request over ${protocol.replace(':', '')}: SSE-C keys travel only over HTTPS`,
          'use the server\'s https:// endpoint');
      }
      return next(args);
    }, { step: 'finalizeRequest', priority: 'high', name: 'sse3HttpsOnly' });
    const requestLog = env.SSE3_REQUEST_LOG;
    if (requestLog) {
      // Diagnostics, and the tests' and benchmarks' request counts: one line per request sent (each attempt).
      c.middlewareStack.add((next, context) => async (args) => {
        appendFileSync(requestLog, `${context.commandName ?? 'unknown'}\n`);
        return next(args);
      }, { step: 'finalizeRequest', name: 'sse3RequestLog' });
    }
    c.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'PutObjectCommand' || context.commandName === 'UploadPartCommand') {
        (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    }, { step: 'build', name: 'sse3UnsignedPayload' });
  }
  return { client, singleAttemptClient, endpoint: url ? endpointId(url) : AWS_ENDPOINT_ID, region };
}
