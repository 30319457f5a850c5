// A misbehaving S3 server of the tests' own, for the clock-skew and JSON-contract tests.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './tempdir.js';

/**
 * An S3 server of the test's own on loopback whose clock runs away: every answer is 403 RequestTimeTooSkewed (no body
 * for a HEAD, as S3 sends none) with a Date further ahead each time, so no correction ever catches up.
 */
export async function runawayClockServer(t: TestContext): Promise<{ endpoint: string; caBundle: string; requests: () => number }> {
  const certs = tempDir('sse3-skew-cert-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem'), '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  let requests = 0;
  const server = createServer({ key: readFileSync(join(certs, 'key.pem')), cert: readFileSync(join(certs, 'cert.pem')) }, (req, res) => {
    requests++;
    req.resume();
    const date = new Date(Date.now() + (30 + 10 * requests) * 60_000).toUTCString();
    const body = req.method === 'HEAD' ? '' : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>RequestTimeTooSkewed</Code>' +
      '<Message>The difference between the request time and the current time is too large.</Message></Error>';
    res.writeHead(403, { date, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => { server.closeAllConnections(); server.close(); });
  return { endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caBundle: join(certs, 'cert.pem'), requests: () => requests };
}

