// HTTPS_PROXY: sse3 reaches the gateway through an HTTP proxy's CONNECT tunnel, with TLS end to end, so the proxy
// relays neither keys nor data it could read; NO_PROXY exempts hosts, as for curl and aws-cli.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { assertNoSecrets, makeKeyFile, newBucket, newHome, ok, requireEnv, run, tempDir } from './harness.js';

/** A CONNECT proxy of the test's own: counts the tunnels it opens and keeps every byte it relays. */
interface Proxy {
  url: string;
  connects: string[];
  relayed: Buffer[];
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.2 (loopback too), an address other than the gateway's, so a certificate checked against the
 * proxy's address instead of the server's would fail.
 */
async function startProxy(): Promise<Proxy> {
  const connects: string[] = [];
  const relayed: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const m = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.subarray(0, end).toString('latin1'));
      if (!m) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      connects.push(`${m[1]}:${m[2]}`);
      const upstream = connect(Number(m[2]), m[1].replace(/^\[(.*)\]$/, '$1'));
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length) {
          relayed.push(rest);
          upstream.write(rest);
        }
        client.on('data', (c: Buffer) => relayed.push(c));
        upstream.on('data', (c: Buffer) => relayed.push(c));
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    client.on('data', onData);
  });
  server.listen(0, '127.0.0.2');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.2:${port}`, connects, relayed,
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const noProxyVariables = { HTTPS_PROXY: undefined, https_proxy: undefined, ALL_PROXY: undefined, all_proxy: undefined,
  NO_PROXY: undefined, no_proxy: undefined, npm_config_https_proxy: undefined, npm_config_proxy: undefined,
  npm_config_no_proxy: undefined };

test('HTTPS_PROXY: put and get go through the proxy\'s CONNECT tunnel, TLS end to end; NO_PROXY bypasses it',
  { timeout: 180_000 }, async (t) => {
    const proxy = await startProxy();
    t.after(() => proxy.close());
    const home = newHome();
    const key = await makeKeyFile(home, 'k.key');
    const bucket = await newBucket('proxy');
    const gateway = new URL(requireEnv('AWS_ENDPOINT_URL')).host;
    // Multipart (the SDK's requests and sse3's own signed ones) and a single PUT.
    const big = randomBytes(6 * 1024 * 1024 + 5);
    const small = randomBytes(4096);
    writeFileSync(join(home.dir, 'work', 'big'), big);
    writeFileSync(join(home.dir, 'work', 'small'), small);

    const viaProxy = { ...noProxyVariables, HTTPS_PROXY: proxy.url };
    await ok(['put', 'big', `s3://${bucket}/big`, '--key', key.ref, '--part-size', '5'], { home, env: viaProxy });
    await ok(['put', 'small', `s3://${bucket}/small`, '--key', key.ref], { home, env: { ...noProxyVariables, https_proxy: proxy.url } });
    await ok(['get', `s3://${bucket}/big`, 'big.back'], { home, env: viaProxy });
    await ok(['head', `s3://${bucket}/small`, '--key', key.ref], { home, env: { ...noProxyVariables, ALL_PROXY: proxy.url } });
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'big.back')), big);
    assert.ok(proxy.connects.length >= 4, `one tunnel per run at least, got ${proxy.connects.length}`);
    assert.deepEqual([...new Set(proxy.connects)], [gateway], 'every tunnel went to the gateway');

    // The proxy relayed only TLS: no key, no header, no plaintext.
    const seen = Buffer.concat(proxy.relayed);
    assert.ok(seen.length > big.length, 'the objects went through the proxy');
    assertNoSecrets(seen, 'the bytes the proxy relayed');
    for (const clear of ['x-amz-server-side-encryption-customer-key', 'Authorization', `/${bucket}/`]) {
      assert.equal(seen.indexOf(clear), -1, `the proxy saw "${clear}" in clear`);
    }
    for (const data of [big, small]) assert.equal(seen.indexOf(data.subarray(1000, 1064)), -1, 'the proxy saw plaintext');

    // Through the tunnel, the certificate is checked as on a direct connection.
    const untrusted = await run(['get', `s3://${bucket}/small`, 'small.back', '--json'],
      { home, env: { ...viaProxy, AWS_CA_BUNDLE: undefined, NODE_EXTRA_CA_CERTS: undefined, NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_NO_WARNINGS: '1' } });
    assert.equal(untrusted.code, 5, untrusted.stderr);
    assert.equal(untrusted.json().error.code, 'TLS');

    // NO_PROXY names the gateway's address: straight there.
    const tunnels = proxy.connects.length;
    await ok(['get', `s3://${bucket}/small`, 'small.back'], { home, env: { ...viaProxy, NO_PROXY: '127.0.0.1' } });
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'small.back')), small);
    assert.equal(proxy.connects.length, tunnels, 'NO_PROXY=127.0.0.1 bypassed the proxy');
  });

test('through the proxy, a server addressed by IP must have a certificate for that IP, as on a direct connection',
  { timeout: 60_000 }, async (t) => {
    const proxy = await startProxy();
    t.after(() => proxy.close());
    const home = newHome();
    const key = await makeKeyFile(home, 'k.key');
    // A server of the test's own whose certificate, trusted through --ca-bundle, names localhost but not 127.0.0.1.
    const certs = tempDir('sse3-proxy-cert-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem'), '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    let requests = 0;
    const server = createHttpsServer({ key: readFileSync(join(certs, 'key.pem')), cert: readFileSync(join(certs, 'cert.pem')) },
      (_req, res) => { requests++; res.writeHead(404).end(); });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => { server.closeAllConnections(); server.close(); });
    const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

    for (const env of [{ ...noProxyVariables }, { ...noProxyVariables, HTTPS_PROXY: proxy.url }]) {
      const r = await run(['head', 's3://bucket/object', '--key', key.ref, '--endpoint-url', endpoint,
        '--ca-bundle', join(certs, 'cert.pem'), '--json'], { home, env });
      assert.equal(r.code, 5, `${env.HTTPS_PROXY ? 'through the proxy' : 'direct'}: ${r.out}${r.stderr}`);
      assert.equal(r.json().error.code, 'TLS');
      assert.match(r.json().error.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
    }
    assert.ok(proxy.connects.length > 0, 'the second run went through the proxy');
    assert.equal(requests, 0, 'no request reached the server');
  });
