import { appendFileSync } from 'node:fs';
import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';
import type { Agent } from 'node:https';
import { serverDate } from './answer-headers.js';
import { capAnswers } from './caps.js';
import { insecureRequest } from './https-only.js';
import { isTransient, RETRY_ATTEMPTS, retryDelayMs } from './retry.js';

/** The SDK client's send and destroy: built on first use, so a command that needs only the data path never loads it. */
export interface S3ClientLike {
  send: import('@aws-sdk/client-s3').S3Client['send'];
  destroy(): void;
}

type S3Client = import('@aws-sdk/client-s3').S3Client;

/**
 * The SDK prints some warnings with console.warn when it has no logger of its own — "An error was encountered in a
 * non-retryable streaming request." once per request in flight when Ctrl-C aborts them. sse3 reports every failure
 * itself, so its logger says nothing. It has no info or error method on purpose: the SDK calls those only if they
 * exist (`logger.info?.(…)`), so it does not build a log record of every request for nothing.
 */
type SdkLogger = NonNullable<import('@aws-sdk/client-s3').S3ClientConfig['logger']>;
const SILENT_LOGGER = { debug: () => undefined, warn: () => undefined } as unknown as SdkLogger;

export interface SdkSettings {
  region: string;
  profile?: string;
  url?: URL;
  checksums: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
  /** An https.Agent, or the proxy's tunnelling agent (an http.Agent that makes TLS connections). */
  agent: HttpAgent;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Path-style requests (client.ts decides, from the endpoint and the profile's addressing_style). */
  forcePathStyle: boolean;
}

/**
 * The SDK clients of a connection, built when the first request needs one: `client` retries under sse3's policy,
 * `single` makes one attempt (for requests sse3 retries itself). close() destroys whichever were built.
 */
export function lazySdkClients(settings: SdkSettings, env: NodeJS.ProcessEnv)
  : { client: S3ClientLike; single: S3ClientLike; close(): void } {
  let sdk: Promise<{ client: S3Client; single: S3Client }> | undefined;
  let built: { client: S3Client; single: S3Client } | undefined;
  const lazy = (pick: 'client' | 'single'): S3ClientLike => ({
    send: (async (command: never, options?: never) => {
      built = await (sdk ??= buildSdkClients(settings, env));
      return built[pick].send(command, options);
    }) as unknown as S3ClientLike['send'],
    destroy: () => built?.[pick].destroy(),
  });
  return {
    client: lazy('client'), single: lazy('single'),
    close() {
      built?.client.destroy();
      built?.single.destroy();
    },
  };
}

async function buildSdkClients(o: SdkSettings, env: NodeJS.ProcessEnv): Promise<{ client: S3Client; single: S3Client }> {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [{ S3Client }, { ConfiguredRetryStrategy }] = await Promise.all([import('@aws-sdk/client-s3'), import('@smithy/core/retry')]);
  const config = {
    region: o.region,
    profile: o.profile,
    endpoint: o.url?.href,
    forcePathStyle: o.forcePathStyle,
    // sse3 resolves the endpoint itself (client.ts); the SDK must not pick another one from config files,
    // such as a [services] section, behind the plain-HTTP check.
    ignoreConfiguredEndpointUrls: true,
    requestChecksumCalculation: o.checksums,
    responseChecksumValidation: o.checksums,
    // sse3's one retry policy (src/s3/retry.ts), also used for the requests sse3 retries itself.
    retryStrategy: sse3RetryStrategy(ConfiguredRetryStrategy, RETRY_ATTEMPTS),
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
  for (const c of [client, single]) addSse3Middleware(c, env.SSE3_REQUEST_LOG);
  return { client, single };
}

type RetryStrategyClass = typeof import('@smithy/core/retry').ConfiguredRetryStrategy;
type RetryErrorInfo = Parameters<InstanceType<RetryStrategyClass>['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's retry strategy with sse3's numbers and sse3's judgement (src/s3/retry.ts): an answer the SDK takes for a
 * client error that isTransient() calls worth another attempt (409 OperationAborted: the same object was being
 * changed by another request) is retried as a transient one. The SDK's own transient and throttling answers stay so.
 */
export function sse3RetryStrategy(Strategy: RetryStrategyClass, attempts: number): InstanceType<RetryStrategyClass> {
  class Sse3Retries extends Strategy {
    override refreshRetryTokenForRetry(token: Parameters<InstanceType<RetryStrategyClass>['refreshRetryTokenForRetry']>[0],
      info: RetryErrorInfo) {
      const transient = info.errorType === 'CLIENT_ERROR' && isTransient(info.error);
      return super.refreshRetryTokenForRetry(token, transient ? { ...info, errorType: 'TRANSIENT' } : info);
    }
  }
  return new Sse3Retries(attempts, retryDelayMs);
}

/**
 * What sse3 adds to every request the SDK sends: the HTTPS-only rule, the request log, the server's clock, answer caps,
 * unsigned payloads.
 */
function addSse3Middleware(c: S3Client, requestLog: string | undefined): void {
  // Last line of defence: no request carrying an SSE-C key may leave over anything but HTTPS.
  c.middlewareStack.add((next) => async (args) => {
    const protocol = (args.request as { protocol?: string }).protocol;
    if (protocol !== undefined && protocol !== 'https:') {
      throw insecureRequest(protocol);
    }
    return next(args);
  }, { step: 'finalizeRequest', priority: 'high', name: 'sse3HttpsOnly' });
  if (requestLog) {
    // Diagnostics, and the tests' and benchmarks' request counts: one line per request sent (each attempt).
    c.middlewareStack.add((next, context) => async (args) => {
      appendFileSync(requestLog, `${context.commandName ?? 'unknown'}\n`);
      return next(args);
    }, { step: 'finalizeRequest', name: 'sse3RequestLog' });
  }
  // The server's clock at each answer (its Date header) as the output's ServerDate: it bounds when what a write made
  // was last modified (core/recorded.ts), as the answers to sse3's own requests do (answer-headers.ts).
  c.middlewareStack.add((next) => async (args) => {
    const result = await next(args);
    const date = serverDate((result.response as { headers?: IncomingHttpHeaders } | undefined)?.headers ?? {});
    if (date && typeof result.output === 'object' && result.output !== null) (result.output as { ServerDate?: Date }).ServerDate = date;
    return result;
  }, { step: 'initialize', name: 'sse3ServerDate' });
  // Tags, listings and error documents are read whole: at most a bounded size of each (src/s3/caps.ts).
  c.middlewareStack.add(capAnswers as never, { step: 'deserialize', priority: 'low', name: 'sse3CapAnswers' });
  // Over HTTPS, TLS already protects the body in transit and sse3 checks the plaintext's SHA-256 end to end:
  // hashing every upload again for the signature would cost a full extra pass of CPU.
  c.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName === 'PutObjectCommand' || context.commandName === 'UploadPartCommand') {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    }
    return next(args);
  }, { step: 'build', name: 'sse3UnsignedPayload' });
}
