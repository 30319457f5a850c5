import { appendFileSync, readFileSync } from 'node:fs';
import type { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Sse3Error } from '../errors.js';
import { endpointIdentity } from './endpoint.js';
import { capAnswers } from './caps.js';
import { type Credentials, LeanObjects } from './http.js';
import { type ObjectRequests, sdkObjects } from './objects.js';
import { proxyAgentFor, proxyConfigured } from './proxy.js';
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

/** The SDK client's send and destroy: built on first use, so a command that needs only the data path never loads it. */
export interface S3ClientLike {
  send: import('@aws-sdk/client-s3').S3Client['send'];
  destroy(): void;
}

export interface Connection {
  /** @aws-sdk/client-s3's S3Client, built on first use; typed loosely so this module's type does not load the SDK. */
  client: S3ClientLike;
  /** Same settings without SDK retries: for requests sse3 retries itself (withRetries), such as bodies streamed from disk. */
  singleAttemptClient: S3ClientLike;
  /** GetObject, HeadObject, PutObject and UploadPart: signed by sse3 over node:https where it can, else through the SDK. */
  objects: ObjectRequests;
  /** Stable identity of the server, used as the manifest's endpoint column. */
  endpoint: string;
  region: string;
  /** Closes the clients and their connections. */
  close(): void;
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
  const { loadSharedConfigFiles } = await import('./lean-deps.js');
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

  const timeoutMs = (opts.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const connectTimeoutMs = Math.min(CONNECT_TIMEOUT_MS, timeoutMs);
  // One agent (one TLS context, one pool of kept-alive connections) for the SDK client and the lean requests.
  // rejectUnauthorized: certificates are checked whatever NODE_TLS_REJECT_UNAUTHORIZED says, as a key sent over
  // unverified TLS is as exposed as one sent over http://.
  const agentOptions = { keepAlive: true, maxSockets: 32, secureContext, rejectUnauthorized: true };
  const agent: HttpAgent = (proxyConfigured(env)
    ? await proxyAgentFor(url ?? new URL(`https://s3.${region}.amazonaws.com`), agentOptions) : undefined) ?? new Agent(agentOptions);
  const checksums = (opts.checksums ?? 'when_required') === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  let sdk: Promise<{ client: S3Client; single: S3Client }> | undefined;
  const build = () => sdk ??= buildSdkClients({ region, profile: opts.profile, url, checksums, agent, timeoutMs, connectTimeoutMs }, env);
  let built: { client: S3Client; single: S3Client } | undefined;
  const lazy = (pick: 'client' | 'single'): S3ClientLike => ({
    send: (async (command: never, options?: never) => {
      built = await build();
      return built[pick].send(command, options);
    }) as unknown as S3ClientLike['send'],
    destroy: () => built?.[pick].destroy(),
  });
  const client = lazy('client');
  const singleAttemptClient = lazy('single');
  // The lean path: an endpoint given by URL (so no endpoint rules of AWS apply), no optional checksums, and
  // credentials sse3 can read as the SDK would (else the SDK's provider chain decides, and the SDK sends).
  const credentials = url && checksums === 'WHEN_REQUIRED' ? staticCredentials(opts.profile, env, shared) : undefined;
  const objects = url && credentials
    ? new LeanObjects({ endpoint: url, region, credentials, agent, socketTimeoutMs: timeoutMs, connectTimeoutMs,
      requestLog: env.SSE3_REQUEST_LOG || undefined })
    : sdkObjects(client, singleAttemptClient);
  return {
    client, singleAttemptClient, objects, endpoint: url ? endpointId(url) : AWS_ENDPOINT_ID, region,
    close() {
      built?.client.destroy();
      built?.single.destroy();
      agent.destroy();
    },
  };
}

type S3Client = import('@aws-sdk/client-s3').S3Client;

/**
 * Credentials found the way the SDK's default chain finds them first, when they are static: the environment's
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (when no profile is chosen), else the profile's aws_access_key_id /
 * aws_secret_access_key (credentials file over config file) unless the profile assumes a role. Anything else
 * (SSO, processes, web identity, instance roles) is left to the SDK: undefined.
 */
export function staticCredentials(profileOption: string | undefined, env: NodeJS.ProcessEnv,
  shared: { configFile?: Record<string, Record<string, string | undefined>>; credentialsFile?: Record<string, Record<string, string | undefined>> })
  : Credentials | undefined {
  if (!(profileOption ?? env.AWS_PROFILE) && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  const name = profileOption || env.AWS_PROFILE || 'default';
  const p = { ...shared.configFile?.[name], ...shared.credentialsFile?.[name] };
  if (p.role_arn !== undefined || typeof p.aws_access_key_id !== 'string' || typeof p.aws_secret_access_key !== 'string') return undefined;
  return { accessKeyId: p.aws_access_key_id, secretAccessKey: p.aws_secret_access_key,
    ...(p.aws_session_token ? { sessionToken: p.aws_session_token } : {}) };
}

interface SdkSettings {
  region: string;
  profile?: string;
  url?: URL;
  checksums: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
  /** An https.Agent, or the proxy's tunnelling agent (an http.Agent that makes TLS connections). */
  agent: HttpAgent;
  timeoutMs: number;
  connectTimeoutMs: number;
}

async function buildSdkClients(o: SdkSettings, env: NodeJS.ProcessEnv): Promise<{ client: S3Client; single: S3Client }> {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [{ S3Client }, { ConfiguredRetryStrategy }] = await Promise.all([import('@aws-sdk/client-s3'), import('@smithy/core/retry')]);
  const config = {
    region: o.region,
    profile: o.profile,
    endpoint: o.url?.href,
    // Ceph RGW and MinIO serve path-style by default; virtual-hosted needs DNS set up for each bucket.
    forcePathStyle: o.url !== undefined,
    // sse3 resolves the endpoint itself (above); the SDK must not pick another one from config files,
    // such as a [services] section, behind the plain-HTTP check.
    ignoreConfiguredEndpointUrls: true,
    requestChecksumCalculation: o.checksums,
    responseChecksumValidation: o.checksums,
    // sse3's one retry policy (src/s3/retry.ts), also used for the requests sse3 retries itself.
    retryStrategy: new ConfiguredRetryStrategy(RETRY_ATTEMPTS, retryDelayMs),
    logger: SILENT_LOGGER,
    requestHandler: {
      httpsAgent: o.agent as Agent,
      // Connecting (TCP and TLS handshake) counts as silence too, capped so a dead host is reported quickly.
      connectionTimeout: o.connectTimeoutMs,
      // --timeout is how long the server may stay silent, at any point of a request or a response body:
      // a hung server becomes an error, while a slow but moving transfer of any size may go on.
      socketTimeout: o.timeoutMs,
    },
  } satisfies import('@aws-sdk/client-s3').S3ClientConfig;
  const client = new S3Client(config);
  const single = new S3Client({ ...config, retryStrategy: new ConfiguredRetryStrategy(1) });
  // Over HTTPS, TLS already protects the body in transit and sse3 checks the plaintext's SHA-256 end to end:
  // hashing every upload again for the signature would cost a full extra pass of CPU.
  for (const c of [client, single]) {
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
    // Tags, listings and error documents are read whole: at most a bounded size of each (src/s3/caps.ts).
    c.middlewareStack.add(capAnswers as never, { step: 'deserialize', priority: 'low', name: 'sse3CapAnswers' });
    c.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'PutObjectCommand' || context.commandName === 'UploadPartCommand') {
        (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    }, { step: 'build', name: 'sse3UnsignedPayload' });
  }
  return { client, single };
}
