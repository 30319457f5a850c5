import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEndpoint, staticCredentials } from '../../src/s3/client.js';
import { addressingStyleOf, isVirtualHosted } from '../../src/s3/addressing.js';
import { Sse3Error } from '../../src/errors.js';

const shared = (configFile: Record<string, Record<string, string>> = {}) => ({ configFile, credentialsFile: {} });

test('the endpoint comes from the first place that names one: flag, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile\'s [services], the profile', () => {
  const env = { AWS_ENDPOINT_URL_S3: 'https://s3-env.example', AWS_ENDPOINT_URL: 'https://any-env.example' };
  const profile = { endpoint_url: 'https://profile.example', services: 'local' };
  const config = shared({ 'services.local': { 's3.endpoint_url': 'https://services.example' } });
  const host = (...args: Parameters<typeof resolveEndpoint>) => resolveEndpoint(...args)?.host;
  assert.equal(host('https://flag.example', env, 'p', profile, config), 'flag.example');
  assert.equal(host(undefined, env, 'p', profile, config), 's3-env.example');
  assert.equal(host(undefined, { AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL }, 'p', profile, config), 'any-env.example');
  // The service's own endpoint wins over the profile's global one, as the AWS SDKs document it.
  assert.equal(host(undefined, {}, 'p', profile, config), 'services.example');
  assert.equal(host(undefined, {}, 'p', { endpoint_url: profile.endpoint_url }, config), 'profile.example');
  assert.equal(host(undefined, {}, 'p', { endpoint_url: profile.endpoint_url, services: 'other' }, config), 'profile.example');
  assert.equal(host(undefined, {}, 'p', {}, config), undefined, 'none: AWS itself');
  // An empty value is no choice: the next place decides.
  assert.equal(host('', { AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL }, 'p', profile, config), 'any-env.example');
});

test('configured endpoints ignored (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, else the profile\'s setting); --endpoint-url never', () => {
  const env = { AWS_ENDPOINT_URL_S3: 'https://s3-env.example', AWS_ENDPOINT_URL: 'https://any-env.example' };
  const profile = { endpoint_url: 'https://profile.example', services: 'local' };
  const config = shared({ 'services.local': { 's3.endpoint_url': 'https://services.example' } });
  const host = (...args: Parameters<typeof resolveEndpoint>) => resolveEndpoint(...args)?.host;
  assert.equal(host(undefined, { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'TRUE' }, 'p', profile, config), undefined);
  assert.equal(host(undefined, env, 'p', { ...profile, ignore_configured_endpoint_urls: 'true' }, config), undefined);
  // The variable, when set, decides over the profile's setting.
  assert.equal(host(undefined, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' }, 'p',
    { ...profile, ignore_configured_endpoint_urls: 'true' }, config), 'services.example');
  assert.equal(host('https://flag.example', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, 'p', profile, config), 'flag.example');
});

test('addressing: virtual-hosted only when asked (virtual or auto), for a host name and a bucket that can be a host-name label', () => {
  const byName = new URL('https://s3.example:8443');
  assert.equal(isVirtualHosted(byName, 'bucket-1', undefined), false, 'path-style by default with an endpoint given by URL');
  assert.equal(isVirtualHosted(byName, 'bucket-1', 'path'), false);
  assert.equal(isVirtualHosted(byName, 'bucket-1', 'virtual'), true);
  assert.equal(isVirtualHosted(byName, 'bucket-1', 'auto'), true);
  assert.equal(isVirtualHosted(byName, 'my.bucket', 'virtual'), false, 'a dotted name would not match the TLS certificate');
  assert.equal(isVirtualHosted(byName, 'Bucket', 'auto'), false);
  assert.equal(isVirtualHosted(new URL('https://127.0.0.1:8443'), 'bucket-1', 'virtual'), false, 'no host name to put it in');
  assert.equal(isVirtualHosted(new URL('https://[::1]:8443'), 'bucket-1', 'virtual'), false);
  assert.equal(addressingStyleOf({ 's3.addressing_style': 'virtual' }, 'p'), 'virtual');
  assert.throws(() => addressingStyleOf({ 's3.addressing_style': 'dns' }, 'p'), (e: Sse3Error) => e.code === 'USAGE');
});

test('a plain-HTTP endpoint is refused wherever it comes from, naming where; a non-URL is a usage error', () => {
  const refused = (fn: () => unknown, from: RegExp) => assert.throws(fn, (e: Sse3Error) => e.code === 'INSECURE_ENDPOINT' && from.test(e.message));
  refused(() => resolveEndpoint('http://127.0.0.1:1', {}, 'default', {}, shared()), /--endpoint-url is http:\/\/127\.0\.0\.1:1/);
  refused(() => resolveEndpoint(undefined, {}, 'dev', { endpoint_url: 'http://minio:9000' }, shared()), /endpoint_url of profile dev/);
  refused(() => resolveEndpoint(undefined, {}, 'dev', { services: 'x' }, shared({ 'services.x': { 's3.endpoint_url': 'http://h' } })),
    /s3 endpoint_url of \[services x\]/);
  assert.throws(() => resolveEndpoint('not a url', {}, 'default', {}, shared()), (e: Sse3Error) => e.code === 'USAGE' && /is not a URL/.test(e.message));
  assert.throws(() => resolveEndpoint('ftp://h', {}, 'default', {}, shared()), (e: Sse3Error) => e.code === 'USAGE' && /must be an https:\/\/ URL/.test(e.message));
  assert.throws(() => resolveEndpoint('https://h/prefix', {}, 'default', {}, shared()), (e: Sse3Error) => e.code === 'USAGE' && /has a path/.test(e.message));
  assert.equal(resolveEndpoint('https://h:1/', {}, 'default', {}, shared())?.host, 'h:1', 'a lone / is no path');
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
