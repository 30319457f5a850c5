import { readFileSync } from 'node:fs';
import type { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Sse3Error } from '../errors.js';
import { proxyAgentFor, proxyConfigured } from './proxy.js';

/**
 * The one agent of a connection: one TLS context (the system's roots plus --ca-bundle) and one pool of kept-alive
 * connections, shared by the SDK client and sse3's own requests; through the environment's HTTPS proxy when one is set
 * for the server. Certificates are checked whatever NODE_TLS_REJECT_UNAUTHORIZED says (rejectUnauthorized), as a key
 * sent over unverified TLS is as exposed as one sent over http://.
 */
export async function agentFor(server: URL, caFile: string | undefined, env: NodeJS.ProcessEnv): Promise<HttpAgent> {
  const secureContext = caFile === undefined ? undefined : trustFile(caFile);
  const agentOptions = { keepAlive: true, maxSockets: 32, secureContext, rejectUnauthorized: true };
  return (proxyConfigured(env) ? await proxyAgentFor(server, agentOptions) : undefined) ?? new Agent(agentOptions);
}

function trustFile(caFile: string): SecureContext {
  try {
    return trustingAlso(readFileSync(caFile));
  } catch (e) {
    throw new Sse3Error('LOCAL_IO', `cannot read CA bundle ${caFile}: ${(e as NodeJS.ErrnoException).code ?? e}`,
      'pass a PEM file with --ca-bundle FILE or AWS_CA_BUNDLE');
  }
}

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
