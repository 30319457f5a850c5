// --ca-bundle, AWS_CA_BUNDLE and the profile's ca_bundle mean what they mean to aws-cli and rclone's --ca-cert: the
// certificates to verify the server with, instead of the system's roots. The server here (a small S3 of the tests'
// own on 127.0.0.1) has a certificate signed by CA B, which the process also trusts through its default roots
// (NODE_EXTRA_CA_CERTS, added to sse3's environment only); a bundle naming only CA A must still refuse it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCertificates } from '../support/hostile-s3.js';
import { hostileSetup } from './hostile.js';
import { ok, run, tempDir } from './harness.js';

test('a CA bundle replaces the default roots: a server another CA signed is refused even when Node trusts that CA',
  { timeout: 120_000 }, async (t) => {
    const { s3, home, key, put, dest } = await hostileSetup(t);
    await put('o', Buffer.from('signed by CA B'));
    const otherCa = tempDir('sse3-ca-a-');
    t.after(() => rmSync(otherCa, { recursive: true, force: true }));
    const caA = makeCertificates(otherCa).caFile;
    const caB = s3.caFile;
    const config = join(home.dir, 'aws-config');
    writeFileSync(config, `[default]\nca_bundle = ${caA}\n`);
    const get = (to: string) => ['--endpoint-url', s3.url, 'get', 's3://bkt/o', join(dest, to), '--key', key.ref, '--json'];
    // CA B among the default roots: what Node alone would trust.
    const trustsB = { NODE_EXTRA_CA_CERTS: caB, AWS_CA_BUNDLE: undefined, AWS_PROFILE: undefined, NODE_NO_WARNINGS: '1' };

    const requestsBefore = s3.requests.length;
    for (const [how, extra, env] of [
      ['--ca-bundle', ['--ca-bundle', caA], {}],
      ['AWS_CA_BUNDLE', [], { AWS_CA_BUNDLE: caA }],
      ['the profile\'s ca_bundle', [], { AWS_CONFIG_FILE: config }],
    ] as const) {
      const r = await run([...extra, ...get('refused')], { home, env: { ...trustsB, ...env } });
      assert.equal(r.code, 5, `CA A given by ${how}: exit ${r.code}: ${r.out}${r.stderr}`);
      const error = r.json().error;
      assert.equal(error.code, 'TLS', `CA A given by ${how}`);
      assert.match(error.message, /TLS certificate is not trusted/);
      assert.match(error.hint, /--ca-bundle FILE/);
    }
    assert.equal(s3.requests.length, requestsBefore, 'no request reached the server');
    assert.deepEqual(readdirSync(dest), []);

    // The bundle that holds CA B works, the default roots left out of it; and with no bundle, the default roots do.
    await ok([...get('with-b'), '--ca-bundle', caB], { home, env: { AWS_CA_BUNDLE: undefined, NODE_EXTRA_CA_CERTS: undefined } });
    await ok([...get('default-roots')], { home, env: trustsB });
    assert.equal(readFileSync(join(dest, 'with-b'), 'utf8'), 'signed by CA B');
  });

test('a CA bundle with no certificate in it is refused in words before any request', { timeout: 60_000 }, async (t) => {
  const { s3, key, dest, home } = await hostileSetup(t);
  const empty = join(home.dir, 'empty.pem');
  writeFileSync(empty, 'not a certificate\n');
  const r = await run(['--endpoint-url', s3.url, '--ca-bundle', empty, 'get', 's3://bkt/o', join(dest, 'o'), '--key', key.ref],
    { home, env: { NODE_EXTRA_CA_CERTS: s3.caFile, NODE_NO_WARNINGS: '1' } });
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /^error: CA bundle .*empty\.pem holds no PEM certificate/m);
  assert.match(r.stderr, /^hint: .*--ca-bundle FILE/m);
  assert.equal(s3.requests.length, 0, 'no request reached the server');
});
