import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SseCKey } from '../../src/keys/key.js';
import { copyObject } from '../../src/core/transfer/copy.js';
import { downloadObject } from '../../src/core/transfer/download.js';
import { uploadObject } from '../../src/core/transfer/upload.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { S3Twin } from '../support/s3-twin.js';

// What one session's transfers learn or do stays with that session: a second session in the same process (as unit
// tests open them one after another) starts afresh.

const key = new SseCKey(randomBytes(32), 'scope');

test('a server found unable to copy SSE-C objects is asked again by the next session, not remembered for the process', async () => {
  const twin = new S3Twin({ serverSideCopy: 'not-implemented' });
  const manifest = new ManifestStore(':memory:');
  const first = { conn: twin.connection(), manifest };
  await uploadObject({ io: first, target: { bucket: 'b', key: 'src', sseKey: key }, source: { kind: 'stream', body: Readable.from([randomBytes(100)]) } });
  const copy = (io: typeof first, dest: string) => copyObject({ io, source: { bucket: 'b', key: 'src', sseKey: key },
    dest: { bucket: 'b', key: dest, sseKey: key } });
  assert.equal((await copy(first, 'd1')).method, 'streamed');
  twin.requests.length = 0;
  assert.equal((await copy(first, 'd2')).method, 'streamed');
  assert.ok(!twin.requests.some((q) => q.op === 'CopyObject'), 'the same session does not ask again');

  // The server was upgraded; a new session (a new connection to the same endpoint) finds out.
  twin.opts.serverSideCopy = 'supported';
  twin.requests.length = 0;
  const next = { conn: twin.connection(), manifest };
  assert.equal((await copy(next, 'd3')).method, 'server-side');
  assert.ok(twin.requests.some((q) => q.op === 'CopyObject'));
});

test('the folder a session downloaded into is swept of stale temporary files again by the next session', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-scope-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const twin = new S3Twin();
  const manifest = new ManifestStore(':memory:');
  await uploadObject({ io: { conn: twin.connection(), manifest }, target: { bucket: 'b', key: 'k', sseKey: key },
    source: { kind: 'stream', body: Readable.from([randomBytes(100)]) } });
  const download = (io: { conn: ReturnType<S3Twin['connection']>; manifest: ManifestStore }, name: string) => downloadObject({ io,
    object: { bucket: 'b', key: 'k' }, sseKey: key, target: { kind: 'file', path: join(dir, name) } });

  await download({ conn: twin.connection(), manifest }, 'one');
  // A killed sse3 (a process that no longer runs) left its temporary file behind, after the folder was swept.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale = join(dir, `.sse3-${dead}-0123abcd.part`);
  writeFileSync(stale, 'partial');
  await download({ conn: twin.connection(), manifest }, 'two');
  assert.equal(existsSync(stale), false, 'the next session swept the folder again');
});
