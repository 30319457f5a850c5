import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import { addressingStyleOf } from './addressing.js';
import { agentFor } from './agent.js';
import { endpointIdentity, refuseKeyInEndpoint } from './endpoint.js';
import { type Credentials, LeanObjects } from './http.js';
import { refusePlainHttp } from './https-only.js';
import { type ObjectRequests, sdkObjects } from './objects.js';
import { lazySdkClients, type S3ClientLike } from './sdk-client.js';
import { resolveRegion } from './region.js';

export type { S3ClientLike } from './sdk-client.js';

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

/** What requests over a connection found its server cannot do: not asked again while the connection lives. */
export interface ServerLimits {
  /** CopyObject of an SSE-C object answered 501 (Ceph RGW before 2025): copies are streamed through sse3. */
  noSseCCopy?: boolean;
  /**
   * A write conditional on the ETag of the version read (If-Match) was refused (412) although that version was still
   * there (Ceph RGW 16 refuses every If-Match in a versioned bucket): writes over a version read are checked just
   * before they are sent instead (core/rotation/rekey.ts).
   */
  noConditionalWrites?: boolean;
  /** Storage classes a write was refused for: later writes naming one fail before sending anything (write-failure.ts). */
  refusedStorageClasses?: Set<string>;
}

export interface Connection {
  /** @aws-sdk/client-s3's S3Client, built on first use; typed loosely so this module's type does not load the SDK. */
  client: S3ClientLike;
  /** Same settings without SDK retries: for requests sse3 retries itself (withRetries), such as bodies streamed from disk. */
  singleAttemptClient: S3ClientLike;
  /** GetObject, HeadObject, PutObject and UploadPart: signed by sse3 where it can (http.ts), else through the SDK client. */
  objects: ObjectRequests;
  /** Stable identity of the server, used as the manifest's endpoint column. */
  endpoint: string;
  region: string;
  /** Learned from the server's answers during this connection (one per session). */
  limits: ServerLimits;
  /** Closes the clients and their connections. */
  close(): void;
}

/** Identity used in the manifest for objects on AWS itself (bucket names are global there). */
export const AWS_ENDPOINT_ID = 'https://s3.amazonaws.com';

export const DEFAULT_TIMEOUT_SECONDS = 60;
const CONNECT_TIMEOUT_MS = 10_000;

/** Manifest identity of an endpoint URL (see endpointIdentity: one server under several spellings is one identity). */
export const endpointId = (url: URL): string => endpointIdentity(url);

type SharedConfig = Awaited<ReturnType<typeof import('./lean-deps.js').loadSharedConfigFiles>>;
type Profile = Record<string, string | undefined>;

/**
 * Resolve where requests go and build the client. The endpoint is resolved
 * here, not by the SDK, so a plain-HTTP endpoint from any source (flag,
 * environment, profile) is refused before a request can leave the process.
 */
export async function connect(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const { loadSharedConfigFiles } = await import('./lean-deps.js');
  const shared = await loadSharedConfigFiles();
  const { name: profileName, profile } = chosenProfile(opts.profile, env, shared);
  const url = resolveEndpoint(opts.endpointUrl, env, profileName, profile, shared);
  const addressingStyle = addressingStyleOf(profile, profileName);
  const region = resolveRegion(opts.region, env, profileName, profile);
  const agent = await agentFor(url ?? new URL(`https://s3.${region}.amazonaws.com`), opts.caBundle ?? env.AWS_CA_BUNDLE ?? profile.ca_bundle, env);
  const timeoutMs = (opts.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const connectTimeoutMs = Math.min(CONNECT_TIMEOUT_MS, timeoutMs);
  const checksums = (opts.checksums ?? 'when_required') === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  // Path-style with an endpoint given by URL unless the profile says otherwise; on AWS itself the SDK's choice unless path.
  const forcePathStyle = url !== undefined ? (addressingStyle ?? 'path') === 'path' : addressingStyle === 'path';
  const sdk = lazySdkClients({ region, profile: opts.profile, url, checksums, agent, timeoutMs, connectTimeoutMs, forcePathStyle }, env);
  // The lean path: an endpoint given by URL (so no endpoint rules of AWS apply), no optional checksums, and
  // credentials sse3 can read as the SDK would (else the SDK's provider chain decides, and the SDK sends).
  const credentials = url && checksums === 'WHEN_REQUIRED' ? staticCredentials(opts.profile, env, shared) : undefined;
  const objects = url && credentials
    ? new LeanObjects({ endpoint: url, addressingStyle, region, credentials, agent, socketTimeoutMs: timeoutMs, connectTimeoutMs,
      requestLog: env.SSE3_REQUEST_LOG || undefined })
    : sdkObjects(sdk.client, sdk.single);
  return {
    client: sdk.client, singleAttemptClient: sdk.single, objects, endpoint: url ? endpointId(url) : AWS_ENDPOINT_ID, region, limits: {},
    close() {
      sdk.close();
      agent.destroy();
    },
  };
}

/**
 * The manifest identity of the server the options name, found as connect() finds it but without building a client:
 * what a default key's scope is recorded under (sse3 keys default), and looked up before the first request.
 */
export async function endpointIdentityFor(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { loadSharedConfigFiles } = await import('./lean-deps.js');
  const shared = await loadSharedConfigFiles();
  const { name, profile } = chosenProfile(opts.profile, env, shared);
  const url = resolveEndpoint(opts.endpointUrl, env, name, profile, shared);
  return url ? endpointId(url) : AWS_ENDPOINT_ID;
}

/** What signing a link needs: the endpoint (undefined: AWS itself), its addressing, the region, static credentials if any. */
export interface SigningSettings {
  url?: URL;
  addressingStyle?: import('./addressing.js').AddressingStyle;
  region: string;
  /** undefined: credentials only the SDK's provider chain finds (SSO, a role, a process). */
  credentials?: Credentials;
  profile?: string;
}

/** The settings connect() resolves, for a request signed to be sent later by someone else (sse3 presign). */
export async function signingSettings(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Promise<SigningSettings> {
  const { loadSharedConfigFiles } = await import('./lean-deps.js');
  const shared = await loadSharedConfigFiles();
  const { name, profile } = chosenProfile(opts.profile, env, shared);
  return { url: resolveEndpoint(opts.endpointUrl, env, name, profile, shared), addressingStyle: addressingStyleOf(profile, name),
    region: resolveRegion(opts.region, env, name, profile), credentials: staticCredentials(opts.profile, env, shared), profile: opts.profile };
}

/** The profile in use (--profile, else AWS_PROFILE, else default): its settings from both files; a named one must exist. */
function chosenProfile(option: string | undefined, env: NodeJS.ProcessEnv, shared: SharedConfig): { name: string; profile: Profile } {
  const name = option ?? env.AWS_PROFILE ?? 'default';
  const profile = { ...(shared.credentialsFile?.[name] ?? {}), ...(shared.configFile?.[name] ?? {}) };
  if (option && !shared.configFile?.[option] && !shared.credentialsFile?.[option]) {
    throw new Sse3Error('USAGE', `profile ${shown(option)} is not in the AWS config or credentials file`,
      'list profiles with: aws configure list-profiles');
  }
  return { name, profile };
}

/** A boolean setting of the environment or the config file: true in any case, as the SDKs read it. */
const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === 'true';

/**
 * The endpoint, as the AWS SDKs document it: --endpoint-url; else, unless configured endpoints are ignored
 * (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, else the profile's ignore_configured_endpoint_urls), the first of
 * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the s3 endpoint_url of the profile's [services] section, the profile's
 * endpoint_url (a service's own endpoint wins over the global one). undefined: AWS itself.
 */
export function resolveEndpoint(option: string | undefined, env: NodeJS.ProcessEnv, profileName: string, profile: Profile,
  shared: SharedConfig): URL | undefined {
  if (option !== undefined && option !== '') return parseEndpoint(option, '--endpoint-url');
  const ignored = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== undefined && env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== ''
    ? isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) : isTrue(profile.ignore_configured_endpoint_urls);
  if (ignored) return undefined;
  const candidates: Array<[string | undefined, string]> = [
    [env.AWS_ENDPOINT_URL_S3, 'AWS_ENDPOINT_URL_S3'],
    [env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'],
    [profile.services ? shared.configFile?.[`services.${profile.services}`]?.['s3.endpoint_url'] : undefined,
      `s3 endpoint_url of [services ${profile.services}]`],
    [profile.endpoint_url, `endpoint_url of profile ${profileName}`],
  ];
  const chosen = candidates.find(([v]) => v !== undefined && v !== '');
  return chosen ? parseEndpoint(chosen[0]!, chosen[1]) : undefined;
}

function parseEndpoint(text: string, from: string): URL {
  refuseKeyInEndpoint(text, from);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Sse3Error('USAGE', `${from} is not a URL: ${shown(text)}`, 'e.g. --endpoint-url https://s3.example.com');
  }
  refusePlainHttp(url, `${from} is ${url.origin}`, 'use the server\'s https:// endpoint');
  if (url.protocol !== 'https:') {
    throw new Sse3Error('USAGE', `${from} must be an https:// URL, got ${shown(text)}`);
  }
  // S3 servers (Ceph RGW, MinIO, AWS) serve buckets at their root: with a path, every bucket would be taken for
  // another (the first path segment read as the bucket), and requests signed for a path the server does not see.
  if (url.pathname.replace(/\/+$/, '') !== '' || url.search !== '' || url.hash !== '') {
    throw new Sse3Error('USAGE', `${from} has a path (${shown(url.pathname + url.search)}); sse3 names buckets at the server's ` +
      `root (https://${url.host}/BUCKET/KEY)`,
    `give the endpoint without a path: https://${url.host}`);
  }
  return url;
}

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
