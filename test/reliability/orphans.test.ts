// What an interrupted sse3's multipart upload leaves is settled when the next command starts. Against a server of the
// tests' own that does not answer, or refuses: Ctrl-C stops that start-up, and an unknown answer keeps the record and
// says so — never a silent wait, never a silent loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ManifestStore } from '../../src/manifest/store.js';
import { errorAnswer } from '../support/hostile-s3.js';
import { hostileSetup } from '../e2e/hostile.js';
import { type Home, manifestExport, start, waitFor } from './support.js';

const DEAD_PID = 2 ** 22 + 13;

/** The journal of a multipart upload to s3://bkt/doc by an sse3 that died before completing it. */
function journalDeadUpload(home: Home, endpoint: string): void {
  const manifest = new ManifestStore(join(home.env.SSE3_HOME!, 'manifest.db'));
  manifest.beginUpload({ endpoint, bucket: 'bkt', key: 'doc', uploadId: 'upload-1', fingerprint: 'ab'.repeat(10), pid: DEAD_PID,
    startedAt: new Date().toISOString(), token: 'cd'.repeat(16) });
  manifest.close();
}

const isAbort = (r: { method: string; query: URLSearchParams }) => r.method === 'DELETE' && r.query.has('uploadId');

test('Ctrl-C while a command settles an interrupted upload at start-up stops it: exit 130, "interrupted", the record kept',
  { timeout: 120_000 }, async (t) => {
    const { s3, home } = await hostileSetup(t);
    journalDeadUpload(home, s3.url);
    s3.script = (req) => (isAbort(req) ? 'no answer' : undefined);
    // The server would be given a minute per attempt: only Ctrl-C can end this soon.
    const ls = start([...s3.args, '--timeout', '60', 'ls', 's3://bkt'], { home, killAfterMs: 30_000 });
    await waitFor('the abort of the interrupted upload to be sent', () => s3.seen(isAbort).length > 0, 30_000);
    ls.child.kill('SIGINT');
    const r = await ls.done;
    assert.equal(r.signal, null, `sse3 did not stop on Ctrl-C: ${r.stderr}`);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /^error: interrupted/m);
    assert.equal((await manifestExport(home)).pendingUploads.length, 1, 'the upload is still to be settled');
  });

test('an interrupted upload the server will not abort is kept, with a warning naming it; the command goes on',
  { timeout: 120_000 }, async (t) => {
    const { s3, home } = await hostileSetup(t);
    journalDeadUpload(home, s3.url);
    s3.script = (req) => (isAbort(req) ? errorAnswer(500, 'InternalError') : undefined);
    const r = await start([...s3.args, 'ls', 's3://bkt'], { home }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: s3:\/\/bkt\/doc: kept the record of multipart upload upload-1 .*could not be aborted.*next sse3 run/m);
    assert.equal((await manifestExport(home)).pendingUploads.length, 1);
  });
