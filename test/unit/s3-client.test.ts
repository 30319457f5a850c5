import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEndpoint, staticCredentials } from '../../src/s3/client.js';
import { Sse3Error } from '../../src/errors.js';

const shared = (configFile: Record<string, Record<string, string>> = {}) => ({ configFile, credentialsFile: {} });

test('the endpoint comes from the first place that names one: flag, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile, its [services]', () => {
  const env = { AWS_ENDPOINT_URL_S3: 'https://s3-env.example', AWS_ENDPOINT_URL: 'https://any-env.example' };
  const profile = { endpoint_url: 'https://profile.example', services: 'local' };
  const config = shared({ 'services.local': { 's3.endpoint_url': 'https://services.example' } });
  const host = (...args: Parameters<typeof resolveEndpoint>) => resolveEndpoint(...args)?.host;
  assert.equal(host('https://flag.example', env, 'p', profile, config), 'flag.example');
  assert.equal(host(undefined, env, 'p', profile, config), 's3-env.example');
  assert.equal(host(undefined, { AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL }, 'p', profile, config), 'any-env.example');
  assert.equal(host(undefined, {}, 'p', profile, config), 'profile.example');
  assert.equal(host(undefined, {}, 'p', { services: 'local' }, config), 'services.example');
  assert.equal(host(undefined, {}, 'p', {}, config), undefined, 'none: AWS itself');
  // An empty value is no choice: the next place decides.
  assert.equal(host('', { AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL }, 'p', profile, config), 'any-env.example');
});

test('a plain-HTTP endpoint is refused wherever it comes from, naming where; a non-URL is a usage error', () => {
  const refused = (fn: () => unknown, from: RegExp) => assert.throws(fn, (e: Sse3Error) => e.code === 'INSECURE_ENDPOINT' && from.test(e.message));
  refused(() => resolveEndpoint('http://127.0.0.1:1', {}, 'default', {}, shared()), /--endpoint-url is http:\/\/127\.0\.0\.1:1/);
  refused(() => resolveEndpoint(undefined, {}, 'dev', { endpoint_url: 'http://minio:9000' }, shared()), /endpoint_url of profile dev/);
  refused(() => resolveEndpoint(undefined, {}, 'dev', { services: 'x' }, shared({ 'services.x': { 's3.endpoint_url': 'http://h' } })),
    /s3 endpoint_url of \[services x\]/);
  assert.throws(() => resolveEndpoint('not a url', {}, 'default', {}, shared()), (e: Sse3Error) => e.code === 'USAGE' && /is not a URL/.test(e.message));
  assert.throws(() => resolveEndpoint('ftp://h', {}, 'default', {}, shared()), (e: Sse3Error) => e.code === 'USAGE' && /must be an https:\/\/ URL/.test(e.message));
});

test('static credentials as the SDK finds them first; anything only its chain can find is left to it', () => {
  const env = { AWS_ACCESS_KEY_ID: 'ENVKEY', AWS_SECRET_ACCESS_KEY: 'envsecret', AWS_SESSION_TOKEN: 'tok' };
  assert.deepEqual(staticCredentials(undefined, env, shared()), { accessKeyId: 'ENVKEY', secretAccessKey: 'envsecret', sessionToken: 'tok' });
  const files = { configFile: { p: { aws_access_key_id: 'CFG', aws_secret_access_key: 'cfgsecret' } },
    credentialsFile: { p: { aws_access_key_id: 'CRED', aws_secret_access_key: 'credsecret' } } };
  // A chosen profile wins over the environment's keys, and its credentials file over its config file.
  assert.deepEqual(staticCredentials('p', env, files), { accessKeyId: 'CRED', secretAccessKey: 'credsecret' });
  assert.deepEqual(staticCredentials(undefined, { ...env, AWS_PROFILE: 'p' }, files), { accessKeyId: 'CRED', secretAccessKey: 'credsecret' });
  assert.equal(staticCredentials('r', {}, { configFile: { r: { role_arn: 'arn:aws:iam::1:role/x', aws_access_key_id: 'A',
    aws_secret_access_key: 'B' } } }), undefined, 'a role to assume is the SDK\'s');
  assert.equal(staticCredentials('sso', {}, { configFile: { sso: { sso_session: 'corp' } } }), undefined);
});
