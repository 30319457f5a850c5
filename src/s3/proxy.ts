import type { AgentConnectOpts } from 'agent-base';
import type { Agent as HttpAgent, ClientRequest } from 'node:http';
import type { AgentOptions } from 'node:https';
import { checkServerIdentity } from 'node:tls';
import { Sse3Error } from '../errors.js';

/**
 * HTTPS through a proxy, as curl and aws-cli do: HTTPS_PROXY (or https_proxy, else ALL_PROXY) names the proxy and
 * NO_PROXY the hosts reached directly. The proxy only relays a CONNECT tunnel: TLS runs end to end between sse3 and
 * the S3 server, with the same certificate checks as a direct connection, so the proxy sees neither keys nor data.
 * Loaded only when one of these variables is set.
 */

/** The variables proxy-from-env takes an https:// URL's proxy from, in its order (each in either case). */
const PROXY_VARIABLES = ['npm_config_https_proxy', 'https_proxy', 'npm_config_proxy', 'all_proxy'];

const proxyVariable = (env: NodeJS.ProcessEnv): string | undefined => {
  for (const name of PROXY_VARIABLES) {
    const value = env[name] || env[name.toUpperCase()];
    if (value) return value;
  }
  return undefined;
};

/** Whether the environment names a proxy for HTTPS (cheap: decides whether the proxy code is loaded at all). */
export const proxyConfigured = (env: NodeJS.ProcessEnv): boolean => proxyVariable(env) !== undefined;

/** A CommonJS package's exports: in the bundle, a dynamic import offers them as its default export only. */
const exportsOf = <T>(m: T): T => (m as { default?: T }).default ?? m;

/** The proxy's address for messages: never its user name or password. */
const proxyName = (u: URL) => `${u.protocol}//${u.host}`;

/**
 * The agent for connections to `target` through the proxy the environment names for it, or undefined when NO_PROXY
 * exempts it. `options` are the direct agent's; its TLS settings (the trusted CAs, certificate checks) apply to
 * every tunnelled connection.
 */
export async function proxyAgentFor(target: URL, options: AgentOptions): Promise<HttpAgent | undefined> {
  const [proxyFromEnv, httpsProxyAgent] = await Promise.all([import('proxy-from-env'), import('https-proxy-agent')]);
  const { getProxyForUrl } = exportsOf(proxyFromEnv);
  const { HttpsProxyAgent } = exportsOf(httpsProxyAgent);
  let proxy = getProxyForUrl(target.href);
  if (!proxy) return undefined;
  // A proxy given as host:port is an HTTP proxy to curl; proxy-from-env would prefix the target's https://.
  if (!proxyVariable(process.env)?.includes('://')) proxy = proxy.replace(/^https:/, 'http:');
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    throw new Sse3Error('USAGE', 'the proxy in HTTPS_PROXY / ALL_PROXY is not a URL', 'e.g. HTTPS_PROXY=http://proxy.example.com:3128');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Sse3Error('USAGE', `the proxy ${proxyName(url)} is not an http:// or https:// proxy`,
      'sse3 reaches S3 through an HTTP proxy\'s CONNECT tunnel: e.g. HTTPS_PROXY=http://proxy.example.com:3128');
  }
  const { secureContext, rejectUnauthorized } = options;

  class Tunnel extends HttpsProxyAgent<string> {
    // sse3 sends nothing but HTTPS, whichever client calls the agent.
    override isSecureEndpoint(): boolean {
      return true;
    }

    override connect(req: ClientRequest, opts: AgentConnectOpts) {
      // HttpsProxyAgent hands the TLS layer only the request's options: the agent's TLS settings are added here.
      // And it leaves out the host, so for a server addressed by IP the certificate would be checked against the
      // proxy's address: it is checked against the server's.
      const host = (opts.host ?? '').replace(/^\[(.*)\]$/, '$1');
      return super.connect(req, { ...opts, secureEndpoint: true, port: opts.port ?? 443, secureContext, rejectUnauthorized,
        checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) });
    }
  }
  return new Tunnel(url.href, options);
}
