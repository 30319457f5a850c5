// s3:// URLs as sse3 reads and writes them (src/s3/url.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sse3Error } from '../../src/errors.js';
import { baseName, folderScopeOf, formatS3Url, isBucketName, isS3Url, namesFolder, objectKeyFor, parseS3Url } from '../../src/s3/url.js';

const badUrl = (message: string) => (e: unknown) => {
  assert.ok(e instanceof Sse3Error, String(e));
  assert.deepEqual([e.code, e.exitCode, e.message, e.hint], ['BAD_URL', 2, message, 'write it as s3://BUCKET/KEY']);
  return true;
};

test('parseS3Url: the bucket up to the first slash, the key (or prefix) after it, kept exactly as written', () => {
  assert.deepEqual(parseS3Url('s3://b1/k'), { bucket: 'b1', key: 'k' });
  assert.deepEqual(parseS3Url('s3://bucket'), { bucket: 'bucket', key: '' });
  assert.deepEqual(parseS3Url('s3://bucket/'), { bucket: 'bucket', key: '' });
  assert.deepEqual(parseS3Url('s3://bucket/a//b/ c?.txt#x'), { bucket: 'bucket', key: 'a//b/ c?.txt#x' });
  assert.deepEqual(parseS3Url('s3://bucket/dir/'), { bucket: 'bucket', key: 'dir/' });
  assert.deepEqual(parseS3Url('s3://My_Old.Bucket-1/%41'), { bucket: 'My_Old.Bucket-1', key: '%41' }, 'no decoding');
});

test('parseS3Url refuses what is not an s3:// URL or names no valid bucket; with requireKey, what names no object', () => {
  assert.throws(() => parseS3Url('S3://b/k'), badUrl('not an s3:// URL: "S3://b/k"'));
  assert.throws(() => parseS3Url('/local/path'), badUrl('not an s3:// URL: "/local/path"'));
  assert.throws(() => parseS3Url('s3:/b/k'), badUrl('not an s3:// URL: "s3:/b/k"'));
  for (const url of ['s3://', 's3:///k', 's3://b/k'.replace('b', 'x'.repeat(256)), 's3://a/k'.replace('a', 'b c'), 's3://-b/k', 's3://b!/k']) {
    assert.throws(() => parseS3Url(url), badUrl(`"${url}" does not name a valid bucket`));
  }
  assert.throws(() => parseS3Url('s3://b1', { requireKey: true }), badUrl('"s3://b1" names no object'));
  assert.throws(() => parseS3Url('s3://b1/dir/', { requireKey: true }), (e: unknown) => e instanceof Sse3Error && e.code === 'BAD_URL' &&
    e.message === '"s3://b1/dir/" names a folder, not an object' && /for the object whose key ends in "\/", add --exact$/.test(e.hint ?? ''));
  assert.deepEqual(parseS3Url('s3://b1/dir/', { requireKey: true, exact: true }), { bucket: 'b1', key: 'dir/' }, '--exact: the object "dir/"');
  assert.throws(() => parseS3Url('s3://b1', { requireKey: true, exact: true }), badUrl('"s3://b1" names no object'));
  assert.deepEqual(parseS3Url('s3://b1/dir/f', { requireKey: true }), { bucket: 'b1', key: 'dir/f' });
});

test('a key over 1024 bytes of UTF-8 is refused; 1024 bytes is a key', () => {
  assert.deepEqual(parseS3Url(`s3://b1/${'k'.repeat(1024)}`), { bucket: 'b1', key: 'k'.repeat(1024) });
  for (const key of ['k'.repeat(1025), '\u00e9'.repeat(513)]) {
    assert.throws(() => parseS3Url(`s3://b1/${key}`), (e: unknown) => e instanceof Sse3Error && e.exitCode === 2 &&
      /bytes long; S3 keys are at most 1024 bytes$/.test(e.message));
  }
});

test('bucket names: S3\'s rules, plus upper case and underscores of older and non-AWS servers; 2 to 255 characters', () => {
  for (const ok of ['ab', 'a.b-c_d', 'UPPER', '0bucket', 'x'.repeat(255)]) assert.equal(isBucketName(ok), true, ok);
  for (const bad of ['', 'a', '.ab', '-ab', '_ab', 'a/b', 'a b', 'x'.repeat(256), 'caf\u00e9']) assert.equal(isBucketName(bad), false, bad);
  assert.equal(isS3Url('s3://x'), true);
  assert.equal(isS3Url('s3:x'), false);
});

test('formatting, folder scopes, base names and folder destinations', () => {
  assert.equal(formatS3Url({ bucket: 'b', key: 'a/b c' }), 's3://b/a/b c');
  assert.equal(formatS3Url({ bucket: 'b', key: '' }), 's3://b/');
  assert.equal(folderScopeOf({ bucket: 'b', key: 'a/b/c.txt' }), 's3://b/a/b/');
  assert.equal(folderScopeOf({ bucket: 'b', key: 'top.txt' }), 's3://b/', 'an object at the top: the bucket');
  assert.equal(baseName('a/b/c.txt'), 'c.txt');
  assert.equal(baseName('a/b/'), 'b', 'a trailing slash names the folder');
  assert.equal(baseName(''), '');
  assert.equal(namesFolder({ bucket: 'b', key: '' }), true);
  assert.equal(namesFolder({ bucket: 'b', key: 'd/' }), true);
  assert.equal(namesFolder({ bucket: 'b', key: 'd' }), false);
  assert.deepEqual(objectKeyFor({ bucket: 'b', key: 'd/' }, 'f.txt'), { bucket: 'b', key: 'd/f.txt' });
  assert.deepEqual(objectKeyFor({ bucket: 'b', key: '' }, 'f.txt'), { bucket: 'b', key: 'f.txt' });
  assert.deepEqual(objectKeyFor({ bucket: 'b', key: 'named' }, 'f.txt'), { bucket: 'b', key: 'named' });
});
