// Export → import through the real binary, of a manifest in every state a user's can be in: objects with and without
// a checksum, versions, file times, keys with control characters and emoji, an alias, a rotation and a plain object's
// encryption left open by a kill, and an upload left open by a kill. What import takes in (every record, every alias)
// comes back out the same; what it leaves out (the open journal) is counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient, type Home, makeKeyFile, MiB, newBucket, newHome, ok, overwriteEncrypted, putData, run, workDir,
} from './support.js';

const exported = async (home: Home) => JSON.parse((await ok(['manifest', 'export'], { home })).out);

test('a manifest with open rotations of both kinds, an open upload, odd keys, versions and an alias round-trips through ' +
  'export and import, and through a backup', { timeout: 300_000 }, async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const next = await makeKeyFile(home, 'next.key');
  const bucket = await newBucket('roundtrip', true);
  const plain = await newBucket('roundplain');

  // Versions, a file's time, keys no terminal should see raw, a stream (no file time).
  for (const name of ['odd\u001b[31m key\u0085/名前😀\tend', 'photos/Icon\r', 'doc']) {
    await putData(home, `s3://${bucket}/${name}`, randomBytes(100), key.ref);
  }
  await putData(home, `s3://${bucket}/doc`, randomBytes(120), next.ref);
  await ok(['put', '-', `s3://${bucket}/streamed`, '--key', key.ref], { home, input: randomBytes(10) });
  const file = join(workDir(home), 'dated.txt');
  writeFileSync(file, 'dated');
  utimesSync(file, new Date(-86_400_000), new Date(-86_400_000));
  await ok(['put', file, `s3://${bucket}/dated.txt`, '--key', key.ref], { home });
  // An object written elsewhere under a key of ours, adopted without --hash: recorded with no checksum.
  await overwriteEncrypted(bucket, 'from-aws', randomBytes(50), key.raw);
  await ok(['adopt', `s3://${bucket}`], { home });
  await ok(['manifest', 'alias', 'https://old-name.example.com:9000', 'https://s3.example.com'], { home });

  // Left open by kills: a rotation, a plain object's encryption (no old fingerprint), a multipart upload.
  assert.equal((await run(['rotate', `s3://${bucket}/photos/Icon\r`, '--to', next.ref], { home, env: { SSE3_FAULT: 'rotate-journalled' } })).signal,
    'SIGKILL');
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new PutObjectCommand({ Bucket: plain, Key: 'plain.txt', Body: 'plain' }));
  assert.equal((await run(['adopt', `s3://${plain}`, '--encrypt-plain', '--key', key.ref], { home, env: { SSE3_FAULT: 'rotate-journalled' } })).signal,
    'SIGKILL');
  writeFileSync(join(workDir(home), 'big'), randomBytes(12 * MiB));
  assert.equal((await run(['put', 'big', `s3://${bucket}/big`, '--key', key.ref, '--part-size', '5'], { home, env: { SSE3_FAULT: 'after-part-1' } })).signal,
    'SIGKILL');

  const before = await exported(home);
  assert.deepEqual(before.pendingRotations.map((r: { oldFingerprint: string }) => r.oldFingerprint).sort(), ['', key.fingerprint],
    'a rotation and a plain object\'s encryption are open');
  assert.equal(before.pendingUploads.length, 1);
  assert.ok(before.objects.some((o: { sha256: string }) => o.sha256 === ''), 'a record without a checksum');
  assert.ok(before.objects.some((o: { mtimeMs: number | null }) => o.mtimeMs === -86_400_000), 'a file from before 1970');
  assert.equal(before.objects.filter((o: { key: string }) => o.key === 'doc').length, 2, 'two versions');
  const exportFile = join(home.dir, 'export.json');
  writeFileSync(exportFile, JSON.stringify(before));
  // A backup of the manifest in this state (manifest alias backs it up first).
  await ok(['manifest', 'alias', 'https://older-name.example.com', 'https://s3.example.com'], { home });
  const all = await exported(home);
  const backups = readdirSync(join(home.dir, 'home', 'backups')).sort();

  for (const [how, source, expected] of [['export', exportFile, before], ['backup', join(home.dir, 'home', 'backups', backups.at(-1)!), all]]) {
    const fresh = newHome();
    const imported = await run(['manifest', 'import', source, '--json'], { home: fresh });
    assert.equal(imported.code, 0, `${how}: ${imported.stderr}`);
    assert.deepEqual(imported.json().notImported, { rotations: 2, uploads: 1 }, how);
    assert.equal(imported.json().added, expected.objects.length, how);
    assert.match(imported.stderr, /2 open rotation\(s\) and 1 open upload\(s\) in .* not imported/, how);
    const back = await exported(fresh);
    assert.deepEqual(back.objects, expected.objects, `${how}: every record, in order, with every field`);
    assert.deepEqual(back.aliases, expected.aliases, how);
    assert.deepEqual([back.pendingRotations, back.pendingUploads], [[], []], how);
    // Imported again, into itself: nothing new.
    const again = await ok(['manifest', 'import', source, '--json'], { home: fresh });
    assert.deepEqual([again.json().added, again.json().alreadyRecorded], [0, expected.objects.length], how);
  }
});
