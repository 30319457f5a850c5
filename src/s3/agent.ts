import { readFileSync } from 'node:fs';
import type { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Sse3Error } from '../errors.js';
import { proxyAgentFor, proxyConfigured } from './proxy.js';

/**
 * The one agent of a connection: one TLS context and one pool of kept-alive connections, shared by the SDK client and
 * sse3's own requests; through the environment's HTTPS proxy when one is set for the server. A CA bundle (--ca-bundle,
 * AWS_CA_BUNDLE, the profile's ca_bundle) is what certificates are verified with, instead of the system's roots, as
 * aws-cli and rclone take it; without one, Node's default roots. Certificates are checked whatever
 * NODE_TLS_REJECT_UNAUTHORIZED says (rejectUnauthorized), as a key sent over unverified TLS is as exposed as one sent
 * over http://.
 */
export async function agentFor(server: URL, caFile: string | undefined, env: NodeJS.ProcessEnv): Promise<HttpAgent> {
  const secureContext = caFile === undefined ? undefined : trustingOnly(caFile);
  const agentOptions = { keepAlive: true, maxSockets: 32, secureContext, rejectUnauthorized: true };
  return (proxyConfigured(env) ? await proxyAgentFor(server, agentOptions) : undefined) ?? new Agent(agentOptions);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * One TLS context that trusts the certificates of the PEM bundle and nothing else, built once per process (a `ca`
 * list given to the agent instead would be parsed again for each new connection). Node's default roots (the system's,
 * NODE_EXTRA_CA_CERTS) are not loaded at all.
 */
function trustingOnly(caFile: string): SecureContext {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (e) {
    throw new Sse3Error('LOCAL_IO', `cannot read CA bundle ${caFile}: ${(e as NodeJS.ErrnoException).code ?? e}`,
      'pass a PEM file with --ca-bundle FILE or AWS_CA_BUNDLE');
  }
  const certificates = pem.match(PEM_CERTIFICATE) ?? [];
  try {
    if (certificates.length === 0) throw new Error('no certificate');
    return createSecureContext({ ca: certificates });
  } catch {
    // Nothing could be verified with it: every connection would fail with an untrusted certificate.
    throw new Sse3Error('USAGE', `CA bundle ${caFile} holds no PEM certificate that can be read`,
      'pass a file of "-----BEGIN CERTIFICATE-----" blocks with --ca-bundle FILE or AWS_CA_BUNDLE');
  }
}
