// sync keeps file modes: each file's permission bits are recorded at upload (x-amz-meta-sse3-mode, read back here with
// aws-cli) and restored by sync down, so a restored tree matches the original. A file without a recorded mode — written
// by another client, or a plain object whose metadata anyone could write — follows the owner-only rule (0600).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLI, makeKeyFile, newBucket, newHome, ok, runAws } from './harness.js';

const skip = !AWS_CLI && 'aws-cli not installed';
const modeOf = (path: string) => statSync(path).mode & 0o777;

const TREE: Array<[string, number]> = [['run.sh', 0o755], ['notes.txt', 0o644], ['secret.txt', 0o600], ['shared/report.csv', 0o640],
  ['shared/readonly.txt', 0o444], ['shared/group.bin', 0o664]];

test('sync records each file\'s mode at upload and restores it on download; get and cp -r keep the owner-only rule',
  { skip, timeout: 180_000 }, async (t) => {
    const umask = process.umask(0o022);
    t.after(() => { process.umask(umask); });
    const home = newHome();
    t.after(() => rmSync(home.dir, { recursive: true, force: true }));
    const bucket = await newBucket('syncmodes');
    const key = await makeKeyFile(home, 'k.key');
    const src = join(home.dir, 'work', 'src');
    for (const [rel, mode] of TREE) {
      mkdirSync(join(src, rel, '..'), { recursive: true });
      writeFileSync(join(src, rel), randomBytes(100));
      chmodSync(join(src, rel), mode);
    }
    await ok(['sync', src, `s3://${bucket}/t/`, '--key', key.ref], { home });
    for (const [rel, mode] of TREE) {
      const h = await runAws(['s3api', 'head-object', '--bucket', bucket, '--key', `t/${rel}`, '--sse-customer-algorithm', 'AES256',
        '--sse-customer-key', `fileb://${key.path}`]);
      assert.equal(h.code, 0, h.stderr);
      assert.equal(JSON.parse(h.stdout).Metadata['sse3-mode'], mode.toString(8), `${rel}: the mode recorded`);
    }

    // Another client's objects carry no mode: an encrypted one, and a plain one claiming 777 (anyone may write that).
    const other = join(home.dir, 'other.bin');
    writeFileSync(other, randomBytes(50));
    for (const [name, sse] of [['aws-encrypted.bin', ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${key.path}`]],
      ['aws-plain.bin', ['--metadata', 'sse3-mode=777']]] as const) {
      const put = await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', `t/${name}`, '--body', other, ...sse]);
      assert.equal(put.code, 0, put.stderr);
    }

    const restored = join(home.dir, 'restored');
    await ok(['sync', `s3://${bucket}/t/`, restored], { home });
    for (const [rel, mode] of TREE) assert.equal(modeOf(join(restored, rel)), mode, `sync down: ${rel}`);
    assert.equal(modeOf(join(restored, 'aws-encrypted.bin')), 0o600, 'no recorded mode: owner only');
    assert.equal(modeOf(join(restored, 'aws-plain.bin')), 0o600, 'a plain object\'s metadata is not trusted for a mode');

    // A file sync replaces takes the recorded mode, not its own.
    writeFileSync(join(restored, 'run.sh'), 'changed');
    chmodSync(join(restored, 'run.sh'), 0o600);
    await ok(['sync', `s3://${bucket}/t/`, restored], { home });
    assert.equal(modeOf(join(restored, 'run.sh')), 0o755, 'a replaced file gets the recorded mode');

    // get and cp -r do not restore file stamps (neither mtime nor mode): a new file is owner-only, as before.
    await ok(['get', `s3://${bucket}/t/run.sh`, join(home.dir, 'got.sh')], { home });
    assert.equal(modeOf(join(home.dir, 'got.sh')), 0o600, 'get');
    await ok(['cp', '-r', `s3://${bucket}/t/`, join(home.dir, 'copied')], { home });
    assert.equal(modeOf(join(home.dir, 'copied', 'run.sh')), 0o600, 'cp -r');
  });
