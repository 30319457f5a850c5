// The AWS config file's endpoint and addressing settings, read as the AWS SDKs document them: a [services] section's s3
// endpoint_url wins over the profile's global endpoint_url; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
// ignore_configured_endpoint_urls) ignores both; s3 addressing_style path / virtual / auto is honoured; an endpoint
// with a path is refused in words.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, ok, putData, requireEnv, run } from './harness.js';

const NO_PROXY_VARIABLES = { HTTPS_PROXY: undefined, https_proxy: undefined, ALL_PROXY: undefined, all_proxy: undefined,
  NO_PROXY: undefined, no_proxy: undefined, npm_config_https_proxy: undefined, npm_config_proxy: undefined,
  npm_config_no_proxy: undefined };

/** Settings from the config file only: no endpoint from the environment. */
function configured(home: Home, text: string): NodeJS.ProcessEnv {
  const file = join(home.dir, 'aws-config');
  writeFileSync(file, text);
  return { AWS_CONFIG_FILE: file, AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_S3: undefined, AWS_PROFILE: undefined,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined };
}

/** A loopback port nothing listens on: an endpoint there is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A CONNECT proxy of the test's own on loopback that records where each tunnel was asked to go and opens none: what
 * host sse3 addresses is seen, and nothing leaves the machine.
 */
async function recordingProxy(t: TestContext): Promise<{ url: string; targets: string[] }> {
  const targets: string[] = [];
  const server = createServer((client) => {
    client.on('error', () => undefined);
    client.once('data', (d: Buffer) => {
      const m = /^CONNECT (\S+) HTTP/.exec(d.toString('latin1'));
      if (m) targets.push(m[1]);
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
}

test('a [services] section\'s s3 endpoint_url wins over the profile\'s global endpoint_url', async () => {
  const home = newHome();
  const bucket = await newBucket('svcs');
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/a`, Buffer.from('data'), key.ref);
  const env = configured(home, `[default]\nendpoint_url = https://127.0.0.1:${await closedPort()}\nservices = gateway\n\n` +
    `[services gateway]\ns3 =\n  endpoint_url = ${requireEnv('AWS_ENDPOINT_URL')}\n`);
  const listed = await run(['ls', `s3://${bucket}`, '--json'], { home, env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.out, /"key":"a"/);
});

test('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, or the profile\'s ignore_configured_endpoint_urls, ignores both configured endpoints',
  async (t) => {
    const home = newHome();
    const key = await makeKeyFile(home, 'k.key');
    const proxy = await recordingProxy(t);
    const dead = `https://127.0.0.1:${await closedPort()}`;
    const config = `[default]\nregion = eu-west-1\nendpoint_url = ${dead}\nservices = gateway\n\n[services gateway]\ns3 =\n  endpoint_url = ${dead}\n`;
    for (const [how, extra, variable] of [['the variable', '', 'true'], ['the profile setting', 'ignore_configured_endpoint_urls = true\n', undefined]] as const) {
      const env = { ...configured(home, config.replace('[default]\n', `[default]\n${extra}`)), ...NO_PROXY_VARIABLES,
        HTTPS_PROXY: proxy.url, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: variable };
      const before = proxy.targets.length;
      const r = await run(['head', 's3://some-bucket/k', '--key', key.ref], { home, env });
      const asked = proxy.targets.slice(before);
      assert.ok(asked.length > 0 && asked.every((h) => /amazonaws\.com:443$/.test(h)), `${how}: AWS itself was addressed, got ${asked} (${r.stderr})`);
    }
    // --endpoint-url is never ignored.
    const given = await run(['head', 's3://some-bucket/k', '--key', key.ref, '--endpoint-url', requireEnv('AWS_ENDPOINT_URL')],
      { home, env: { ...configured(home, config), AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' } });
    assert.match(given.stderr, /some-bucket.* does not exist|NoSuchBucket/);
  });

test('s3 addressing_style: path names the bucket in the path, virtual and auto in the host name; anything else is refused',
  async (t) => {
    const home = newHome();
    const key = await makeKeyFile(home, 'k.key');
    const bucket = await newBucket('style');
    await putData(home, `s3://${bucket}/a`, Buffer.from('data'), key.ref);
    const port = new URL(requireEnv('AWS_ENDPOINT_URL')).port;
    const byName = `https://localhost:${port}`;
    const style = (value: string) => configured(home, `[default]\nendpoint_url = ${byName}\ns3 =\n  addressing_style = ${value}\n`);
    // Path-style reaches the gateway (it serves path-style) through its host name.
    for (const args of [['get', `s3://${bucket}/a`, 'a.back'], ['ls', `s3://${bucket}`]]) await ok(args, { home, env: style('path') });

    const proxy = await recordingProxy(t);
    for (const value of ['virtual', 'auto']) {
      // sse3's own signed GET and the SDK's listing alike.
      for (const args of [['get', `s3://${bucket}/a`, 'v.back'], ['ls', `s3://${bucket}`]]) {
        const before = proxy.targets.length;
        const r = await run(args, { home, env: { ...style(value), ...NO_PROXY_VARIABLES, HTTPS_PROXY: proxy.url } });
        assert.notEqual(r.code, 0);
        assert.deepEqual([...new Set(proxy.targets.slice(before))], [`${bucket}.localhost:${port}`], `${value}, ${args[0]}`);
      }
    }
    const bad = await run(['ls', `s3://${bucket}`], { home, env: style('sideways') });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^error: s3 addressing_style of profile "default" is "sideways"; it must be path, virtual or auto\n/);
  });

test('an endpoint URL with a path is refused in words, from any source', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const withPath = `${requireEnv('AWS_ENDPOINT_URL')}/s3`;
  for (const [how, args, env] of [
    ['--endpoint-url', ['--endpoint-url', withPath], {}],
    ['AWS_ENDPOINT_URL', [], { AWS_ENDPOINT_URL: withPath }],
    ['the profile', [], configured(home, `[default]\nendpoint_url = ${withPath}\n`)],
  ] as const) {
    const r = await run(['head', 's3://bucket/k', '--key', key.ref, ...args], { home, env });
    assert.equal(r.code, 2, `${how}: ${r.stderr}`);
    assert.match(r.stderr, /has a path \("\/s3"\); sse3 names buckets at the server's root \(https:\/\/127\.0\.0\.1:\d+\/BUCKET\/KEY\)\nhint: give the endpoint without a path: https:\/\/127\.0\.0\.1:\d+\n$/, how);
  }
});
