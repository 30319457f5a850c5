// What the upload options accept, and what a copy keeps of an object's properties (src/core/props.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guessContentType, headerValue, modeFromMetadata, overridden, propsMetadata, propsOf, refuseUploadOptions,
  storageClassArg, userMetadata } from '../../src/core/props.js';
import { Sse3Error } from '../../src/errors.js';

const usage = (f: () => unknown, message: RegExp) => assert.throws(f, (e: unknown) => e instanceof Sse3Error && e.code === 'USAGE'
  && message.test(e.message));

test('--metadata: names lower-cased, each once, none of sse3\'s own, printable ASCII, within S3\'s 2 KiB', () => {
  assert.deepEqual(userMetadata(['Project=apollo', 'empty=', 'eq=a=b']), { project: 'apollo', empty: '', eq: 'a=b' });
  assert.equal(userMetadata(undefined), undefined);
  for (const reserved of ['sse3-fp=x', 'SSE3-Mode=644', 'sse3-anything=1']) usage(() => userMetadata([reserved]), /are sse3's own/);
  usage(() => userMetadata(['novalue']), /KEY=VALUE/);
  usage(() => userMetadata(['=value']), /KEY=VALUE/);
  usage(() => userMetadata(['a b=1']), /KEY=VALUE/);
  usage(() => userMetadata(['a=1', 'A=2']), /given twice/);
  usage(() => userMetadata(['city=Zürich']), /printable ASCII/);
  usage(() => userMetadata(['pad= x']), /leading or trailing spaces/);
  usage(() => userMetadata([`big=${'x'.repeat(1790)}`]), /at most 1792/);
  assert.ok(userMetadata([`big=${'x'.repeat(1789)}`]), '1,792 bytes of names and values');
});

test('header options and storage classes are refused when they cannot travel as given', () => {
  assert.equal(headerValue('--cache-control', 'max-age=60, public'), 'max-age=60, public');
  usage(() => headerValue('--content-type', ''), /printable ASCII/);
  usage(() => headerValue('--content-disposition', 'attachment\r\nx-evil: 1'), /printable ASCII/);
  assert.equal(storageClassArg('STANDARD_IA'), 'STANDARD_IA');
  usage(() => storageClassArg('standard_ia'), /written in capitals/);
  usage(() => storageClassArg('GLACIER IR'), /written in capitals/);
});

test('a copy keeps the source\'s properties; each one given replaces the source\'s, metadata as a whole', () => {
  const source = propsOf({ ContentType: 'text/html', CacheControl: 'no-cache', StorageClass: 'STANDARD_IA',
    Metadata: { owner: 'alice', 'sse3-fp': '0123456789abcdef0123', 'sse3-mode': '640', 'sse3-mtime': '1' } });
  assert.deepEqual(source, { contentType: 'text/html', cacheControl: 'no-cache', contentDisposition: undefined, storageClass: 'STANDARD_IA',
    metadata: { owner: 'alice' }, mode: 0o640 });
  assert.deepEqual(overridden(source, undefined), source);
  assert.deepEqual(overridden(source, { contentType: 'text/plain', metadata: { stage: 'final' }, cacheControl: undefined }),
    { ...source, contentType: 'text/plain', metadata: { stage: 'final' } });
  assert.deepEqual(propsMetadata(source), { owner: 'alice', 'sse3-mode': '640' });
});

test('a recorded mode is the permission bits, in octal; anything else is no mode', () => {
  assert.equal(modeFromMetadata({ 'sse3-mode': '755' }), 0o755);
  assert.equal(modeFromMetadata({ 'sse3-mode': '0' }), 0);
  for (const bad of ['4755', '8', 'rwx', '', '-1']) assert.equal(modeFromMetadata({ 'sse3-mode': bad }), undefined, bad);
  assert.equal(modeFromMetadata(undefined), undefined);
});

test('upload options given to a download are refused, naming them', () => {
  refuseUploadOptions({ contentType: undefined }, 'cp');
  usage(() => refuseUploadOptions({ storageClass: 'STANDARD', cacheControl: 'x' }, 'sync'), /--storage-class, --cache-control: sync/);
});

test('the content type is guessed from the name, application/octet-stream when the table does not know it', async () => {
  assert.equal(await guessContentType('/tmp/a/page.HTML'), 'text/html');
  assert.equal(await guessContentType('backup.tar'), 'application/x-tar');
  assert.equal(await guessContentType('README'), 'application/octet-stream');
  assert.equal(await guessContentType('x.unknownext'), 'application/octet-stream');
});
