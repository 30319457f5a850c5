// Answers that carry object data, from a server that lies about them: more bytes than its Content-Range names, a
// Content-Range other than the one asked for, another key's MD5, another version. None may leave a byte that was not
// verified in a destination, nor a file under the destination's name, nor a manifest row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { otherKeyMd5, type HostileRequest } from '../support/hostile-s3.js';
import { assertRefused, hostileSetup } from './hostile.js';

const isGet = (r: HostileRequest, key = 'obj') => r.method === 'GET' && r.key === key && !r.query.has('tagging');

/** What a FIFO holds that nobody read yet: opened for reading first, so a writer neither blocks nor is refused. */
function fifoTap(path: string): () => Buffer {
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return () => {
    const buf = Buffer.alloc(1024 * 1024);
    let n = 0;
    try {
      n = readSync(fd, buf);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
    closeSync(fd);
    return buf.subarray(0, n);
  };
}

test('a first answer longer than its Content-Range leaves nothing: no file, nothing on stdout or in a FIFO (exit 4)', async (t) => {
  const { s3, dest, sse3, put, key } = await hostileSetup(t);
  const data = randomBytes(40);
  await put('obj', data);
  const tail = Buffer.from('\n#!/bin/sh\necho "this ran"\n');
  for (const chunked of [false, true]) {
    // Content-Range: bytes 0-39/40, and 40 + 27 bytes: with a Content-Length of 67, or chunked without one.
    s3.script = (req, honest) => (isGet(req) ? { ...honest(), body: Buffer.concat([data, tail]), chunked } : undefined);
    const how = chunked ? 'chunked' : 'with a Content-Length';

    const file = await sse3(['get', 's3://bkt/obj', join(dest, 'obj'), '--key', key.ref]);
    assertRefused(file, { code: 4, url: 's3://bkt/obj', dest, message: /nothing was written/ });

    const stdout = await sse3(['get', 's3://bkt/obj', '-', '--key', key.ref]);
    assertRefused(stdout, { code: 4, url: 's3://bkt/obj' });
    assert.equal(stdout.stdout.length, 0, `nothing went to stdout (${how})`);

    const fifo = join(dest, `fifo-${chunked}`);
    const tapped = fifoTap(fifo);
    const device = await sse3(['get', 's3://bkt/obj', fifo, '--key', key.ref]);
    assertRefused(device, { code: 4, url: 's3://bkt/obj' });
    assert.equal(tapped().length, 0, `nothing was written into the FIFO (${how})`);
    execFileSync('rm', [fifo]);
  }
  // The same object, answered honestly, comes back whole.
  s3.script = undefined;
  const got = await sse3(['get', 's3://bkt/obj', '-', '--key', key.ref]);
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual(got.stdout, data);
});

test('a first answer naming other bytes than were asked for is refused before a byte is written (exit 4)', async (t) => {
  const { s3, dest, sse3, put, key } = await hostileSetup(t);
  const data = randomBytes(40);
  await put('obj', data);
  const answers = [
    // Fewer bytes than asked for and than the object has (sse3 asked for the first 8 MiB of a 40-byte object).
    { range: 'bytes 0-19/40', body: data.subarray(0, 20) },
    // Bytes from the middle, as if they were the start.
    { range: 'bytes 5-39/40', body: data.subarray(5) },
    // A range the body does not have the length of.
    { range: 'bytes 0-39/40', body: data.subarray(0, 39) },
    // Not a byte range at all.
    { range: 'bytes */40', body: data },
  ];
  for (const a of answers) {
    s3.script = (req, honest) => {
      if (!isGet(req)) return undefined;
      const h = honest();
      return { ...h, headers: { ...h.headers, 'content-range': a.range }, body: a.body };
    };
    const r = await sse3(['get', 's3://bkt/obj', join(dest, 'obj'), '--key', key.ref]);
    assertRefused(r, { code: 4, url: 's3://bkt/obj', dest });
  }
});

test('a first GET echoing another key\'s MD5 is refused: get, cp and cp --server-side never write nothing (exit 4)', async (t) => {
  const { s3, dest, sse3, put, key, rows } = await hostileSetup(t);
  await put('obj', randomBytes(1000));
  const other = otherKeyMd5();
  s3.script = (req, honest) => {
    if (req.key !== 'obj' || req.query.has('tagging') || (req.method !== 'GET' && req.method !== 'HEAD')) return undefined;
    const h = honest();
    return { ...h, headers: { ...h.headers, 'x-amz-server-side-encryption-customer-key-md5': other } };
  };
  const get = await sse3(['get', 's3://bkt/obj', join(dest, 'obj'), '--key', key.ref]);
  assertRefused(get, { code: 4, url: 's3://bkt/obj', dest, message: /under another key/ });

  for (const mode of ['auto', 'never']) {
    const cp = await sse3(['cp', 's3://bkt/obj', 's3://bkt/copy', '--server-side', mode]);
    assertRefused(cp, { code: 4, url: 's3://bkt/obj', message: /under another key/ });
    assert.equal(s3.latest('bkt', 'copy'), undefined, `no copy was written (--server-side ${mode})`);
  }
  assert.deepEqual((await rows()).map((r) => r.key), ['obj'], 'and none recorded');
});

test('get --version-id V1 answered with version V2 is refused, and so is head (exit 4)', async (t) => {
  const { s3, dest, sse3, put, key } = await hostileSetup(t, { versioned: true });
  const v1 = await put('obj', randomBytes(40));
  const v2 = await put('obj', randomBytes(50));
  assert.deepEqual([v1.versionId, v2.versionId], ['v1', 'v2']);
  // The server ignores the version asked for and answers the current one, with its own metadata (its own SHA-256).
  s3.script = (req, honest) => {
    if (req.key !== 'obj' || req.query.get('versionId') !== 'v1') return undefined;
    req.query.delete('versionId');
    return honest();
  };
  for (const args of [['get', 's3://bkt/obj', join(dest, 'obj')], ['get', 's3://bkt/obj', '-'], ['head', 's3://bkt/obj']]) {
    const r = await sse3([...args, '--version-id', 'v1', '--key', key.ref]);
    assertRefused(r, { code: 4, url: 's3://bkt/obj', dest, message: /asked for version v1, the server answered with version v2/ });
    assert.equal(r.stdout.length, 0, `${args[0]} printed nothing on stdout`);
  }
  s3.script = undefined;
  const honest = await sse3(['get', 's3://bkt/obj', join(dest, 'obj'), '--version-id', 'v1', '--key', key.ref, '--json']);
  assert.equal(honest.code, 0, honest.stderr);
  assert.equal(honest.json().versionId, 'v1');
});
