// What comes into the manifest from outside (an export, a backup) is data, never instructions: every field is checked,
// and open uploads and rotations of another manifest are not taken in, so nothing imported can make sse3 write.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import {
  adminClient, type Home, makeKeyFile, manifestRows, newBucket, newHome, ok, putData, run, serverTags,
} from './harness.js';

const homes: Home[] = [];
const home = () => {
  const h = newHome();
  homes.push(h);
  return h;
};
after(() => { for (const h of homes) rmSync(h.dir, { recursive: true, force: true }); });

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Beyond Linux's largest pid (2^22): never a live process, so sse3 takes the entry for a killed run's. */
const DEAD_PID = 2 ** 22 + 7;

/** A record without the version's time, which a listing refines (the listed LastModified in place of a write's bound). */
const withoutTimes = (rs: Array<Record<string, unknown>>) => rs.map(({ lastModified: _l, modifiedBefore: _m, ...r }) => r);

async function setTags(bucket: string, key: string, tags: Record<string, string>): Promise<void> {
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.PutObjectTaggingCommand({ Bucket: bucket, Key: key,
    Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
}

/** The MD5 the server echoes for the key that opens the object, or the HTTP status when this key does not. */
async function opensWith(bucket: string, key: string, raw: Buffer): Promise<string | number> {
  const s3 = await import('@aws-sdk/client-s3');
  try {
    const h = await (await adminClient()).send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key, SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: raw.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(raw).digest('base64') }));
    return h.SSECustomerKeyMD5!;
  } catch (e) {
    return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
  }
}

const exportDoc = (over: Record<string, unknown>) => ({ format: 'sse3-manifest', version: 1, exportedAt: new Date().toISOString(),
  objects: [], pendingRotations: [], pendingUploads: [], aliases: [], ...over });

function writeJson(h: Home, name: string, doc: unknown): string {
  const file = join(h.dir, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

test('a crafted open upload in an imported export cannot make ls --fast (or any command) rewrite tags or replace a row', async () => {
  const h = home();
  const bucket = await newBucket('imp-up');
  const key = await makeKeyFile(h, 'k.key');
  const data = randomBytes(700);
  await putData(h, `s3://${bucket}/doc`, data, key.ref);
  await setTags(bucket, 'doc', { ...await serverTags(bucket, 'doc'), owner: 'me' });
  const tagsBefore = await serverTags(bucket, 'doc');
  const rowsBefore = await manifestRows(h);
  assert.equal(rowsBefore.length, 1);

  // The object's name, size and key fingerprint are all that the `ls` of anyone who can list the bucket shows.
  const crafted = writeJson(h, 'crafted.json', exportDoc({ pendingUploads: [{ endpoint: rowsBefore[0].endpoint, bucket, key: 'doc',
    uploadId: '2~craftedUploadId', fingerprint: key.fingerprint, pid: DEAD_PID, startedAt: new Date().toISOString(),
    completing: { sha256: 'f'.repeat(64), size: data.length } }] }));
  const imported = await ok(['manifest', 'import', crafted, '--json'], { home: h });

  for (const args of [['ls', '--fast', `s3://${bucket}/`], ['ls', `s3://${bucket}/`], ['verify'], ['rotate', '--resume']]) {
    await ok(args, { home: h });
    assert.deepEqual(await serverTags(bucket, 'doc'), tagsBefore, `${args.join(' ')} left the object's tags alone`);
    assert.deepEqual(withoutTimes(await manifestRows(h)), withoutTimes(rowsBefore), `${args.join(' ')} left the manifest's row alone`);
  }
  assert.deepEqual(imported.json().notImported, { rotations: 0, uploads: 1 });
  assert.match(imported.stderr, /1 open upload\(s\) in .*crafted\.json not imported/);
  assert.deepEqual((await ok(['manifest', 'export'], { home: h })).json().pendingUploads, []);

  // The same entry already in the journal (an older sse3 imported it), without a token or with a guessed one:
  // settling it proves nothing about the object, so it writes nothing.
  for (const token of [null, 'ab'.repeat(16)]) {
    const db = new Database(join(h.dir, 'home', 'manifest.db'));
    db.prepare(`INSERT INTO uploads (endpoint, bucket, key, upload_id, fingerprint, pid, started_at, sha256, size, token)
      VALUES (?, ?, 'doc', '2~craftedUploadId', ?, ?, ?, ?, ?, ?)`).run(rowsBefore[0].endpoint, bucket, key.fingerprint, DEAD_PID,
      new Date().toISOString(), 'f'.repeat(64), data.length, token);
    db.close();
    await ok(['ls', '--fast', `s3://${bucket}/`], { home: h });
    assert.deepEqual(await serverTags(bucket, 'doc'), tagsBefore, `token ${token}: the object's tags are left alone`);
    assert.deepEqual(withoutTimes(await manifestRows(h)), withoutTimes(rowsBefore), `token ${token}: the manifest's row is left alone`);
    assert.deepEqual((await ok(['manifest', 'export'], { home: h })).json().pendingUploads, [], 'the entry is settled');
  }
  const got = (await ok(['get', `s3://${bucket}/doc`, 'back', '--json'], { home: h })).json();
  assert.deepEqual([got.verified, got.sha256], [true, sha(data)]);
});

test('a crafted open rotation naming the user\'s key cannot make rotate --resume re-encrypt anything', async () => {
  const h = home();
  const bucket = await newBucket('imp-rot');
  const privateKey = await makeKeyFile(h, 'private.key');
  // A key the user holds and the author of the file knows too (a team's shared key, say).
  const sharedKey = await makeKeyFile(h, 'shared.key');
  const data = randomBytes(900);
  await putData(h, `s3://${bucket}/secret`, data, privateKey.ref);
  const [row] = await manifestRows(h);
  const privateMd5 = createHash('md5').update(privateKey.raw).digest('base64');

  const crafted = writeJson(h, 'crafted.json', exportDoc({ pendingRotations: [{ endpoint: row.endpoint, bucket, key: 'secret',
    oldVersion: '', oldFingerprint: privateKey.fingerprint, newFingerprint: sharedKey.fingerprint, size: data.length, sha256: '',
    pid: DEAD_PID, startedAt: new Date().toISOString() }] }));
  const imported = await ok(['manifest', 'import', crafted, '--json'], { home: h });

  for (const args of [['verify'], ['rotate', '--resume'], ['adopt', `s3://${bucket}`]]) {
    await run(args, { home: h });
    assert.equal(await opensWith(bucket, 'secret', privateKey.raw), privateMd5, `${args.join(' ')}: still under the private key`);
    assert.notEqual(typeof await opensWith(bucket, 'secret', sharedKey.raw), 'string', `${args.join(' ')}: the shared key does not open it`);
  }
  assert.deepEqual(imported.json().notImported, { rotations: 1, uploads: 0 });
  assert.match(imported.stderr, /1 open rotation\(s\) .* not imported.*sse3 rotate --resume on the machine that started/);
  assert.deepEqual(withoutTimes(await manifestRows(h)), withoutTimes([row]));
  assert.equal((await serverTags(bucket, 'secret'))['sse3-fp'], privateKey.fingerprint);
  assert.deepEqual((await ok(['manifest', 'export'], { home: h })).json().pendingRotations, []);
});

test('an export whose fields are not what sse3 writes is refused naming the first bad record; nothing of it is imported', async () => {
  const h = home();
  const bucket = await newBucket('imp-bad');
  const key = await makeKeyFile(h, 'k.key');
  await putData(h, `s3://${bucket}/mine`, randomBytes(10), key.ref);
  const before = await manifestRows(h);
  const good = { endpoint: before[0].endpoint, bucket, key: 'theirs', versionId: '', fingerprint: key.fingerprint, size: 5,
    sha256: 'a'.repeat(64), etag: 'd41d8cd98f00b204e9800998ecf8427e', createdAt: '2026-01-02T03:04:05.678Z', mtimeMs: null };
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['escape sequence fingerprint', { objects: [good, { ...good, key: 'b', fingerprint: '\u001b]0;pwned\u0007aaaaaaaaaaa' }] },
      /objects\[1\]\.fingerprint is not a valid fingerprint/],
    ['bucket', { objects: [good, { ...good, bucket: 'no such/bucket' }] }, /objects\[1\]\.bucket is not a valid bucket/],
    // Control characters are data in S3 keys (sync uploads file names as they are); NUL is in none.
    ['NUL in a key', { objects: [good, { ...good, key: 'a\u0000b' }] }, /objects\[1\]\.key is not a valid object key/],
    ['version id', { objects: [good, { ...good, versionId: 'v 1\n' }] }, /objects\[1\]\.versionId is not a valid version id/],
    ['date', { objects: [good, { ...good, createdAt: 'yesterday' }] }, /objects\[1\]\.createdAt is not a valid date/],
    ['http endpoint', { objects: [good, { ...good, endpoint: 'http://127.0.0.1:9000' }] },
      /objects\[1\]\.endpoint is not an https:\/\/ endpoint/],
    ['http alias', { objects: [good], aliases: [{ alias: 'http://s3.example.com', endpoint: good.endpoint }] },
      /aliases\[0\]\.alias is not an https:\/\/ endpoint/],
    ['negative size', { objects: [good, { ...good, key: 'b', size: -5 }] }, /objects\[1\]\.size is not a valid size/],
  ];
  for (const [label, over, message] of cases) {
    const r = await run(['manifest', 'import', writeJson(h, 'bad.json', exportDoc(over)), '--json'], { home: h });
    assert.equal(r.code, 2, `${label}: ${r.stderr}`);
    assert.equal(r.json().error.code, 'USAGE', label);
    assert.match(r.stderr, message, label);
    assert.doesNotMatch(r.stderr, /\u001b|pwned/, `${label}: the bad value is not printed`);
    assert.deepEqual(await manifestRows(h), before, `${label}: nothing imported, not even the good record before the bad one`);
    assert.deepEqual((await ok(['manifest', 'alias', '--json'], { home: h })).json().aliases, [], label);
  }
});

test('a crafted .db backup gets the checks an export gets: bad fields refused naming the first bad record, open journals left out',
  async () => {
    const h = home();
    const bucket = await newBucket('imp-db');
    const key = await makeKeyFile(h, 'k.key');
    await putData(h, `s3://${bucket}/one`, randomBytes(10), key.ref);
    await putData(h, `s3://${bucket}/two`, randomBytes(20), key.ref);
    await putData(h, `s3://${bucket}/three`, randomBytes(30), key.ref);
    // The rolling backup the second run made, with the store's own schema: the raw material for the tampering below.
    const backupDir = join(h.dir, 'home', 'backups');
    const [backup] = readdirSync(backupDir).filter((n) => n.endsWith('.db')).map((n) => join(backupDir, n));
    assert.ok(backup);
    const [mine] = await manifestRows(h);

    const target = home();
    await makeKeyFile(target, 'k.key');
    await putData(target, `s3://${bucket}/own`, randomBytes(5), `file:${join(target.keyDir, 'k.key')}`);
    const targetBefore = await manifestRows(target);

    const tampered = (label: string, sql: string): string => {
      const file = join(h.dir, `${label.replace(/\W+/g, '-')}.db`);
      copyFileSync(backup, file);
      const db = new Database(file);
      db.exec(sql);
      db.close();
      return file;
    };
    const cases: Array<[string, string, RegExp]> = [
      ['escape sequence fingerprint', `INSERT INTO objects SELECT endpoint, bucket, 'zz', version_id, char(27) || ']0;pwned' || char(7),
        size, sha256, etag, created_at, seq + 10, mtime_ms, last_modified, modified_before FROM objects`, /objects\[1\]\.fingerprint is not a valid fingerprint/],
      ['negative size', `INSERT INTO objects SELECT endpoint, bucket, 'zz', version_id, fingerprint, -5, sha256, etag, created_at,
        seq + 10, mtime_ms, last_modified, modified_before FROM objects`, /objects\[1\]\.size is not a valid size/],
      ['size not a whole number', 'UPDATE objects SET size = 10.5', /objects\[0\]\.size is not a valid size/],
      ['http endpoint', "UPDATE objects SET endpoint = 'http://127.0.0.1:9000'", /objects\[0\]\.endpoint is not an https:\/\/ endpoint/],
      ['http alias', "INSERT INTO endpoint_aliases VALUES ('http://evil.example', (SELECT endpoint FROM objects LIMIT 1))",
        /aliases\[0\]\.alias is not an https:\/\/ endpoint/],
      ['objects a view', `CREATE TABLE o2 AS SELECT * FROM objects; DROP TABLE objects;
        CREATE VIEW objects AS SELECT * FROM o2`, /is not a sound sse3 manifest backup: objects is not a table/],
    ];
    for (const [label, sql, message] of cases) {
      const r = await run(['manifest', 'import', tampered(label, sql), '--json'], { home: target });
      assert.equal(r.code, 2, `${label}: ${r.stderr}`);
      assert.match(r.stderr, message, label);
      assert.doesNotMatch(r.stderr, /\u001b|pwned/, `${label}: the bad value is not printed`);
      assert.deepEqual(await manifestRows(target), targetBefore, `${label}: nothing imported`);
      assert.deepEqual((await ok(['manifest', 'alias', '--json'], { home: target })).json().aliases, [], label);
    }

    // Open journal rows of the backup's manifest are counted and left out; its records come in.
    const withJournals = tampered('journals', `
      INSERT INTO rotations (endpoint, bucket, key, old_version, old_fp, new_fp, size, sha256, state, pid, started_at)
        SELECT endpoint, bucket, key, '', fingerprint, '${'b'.repeat(20)}', size, sha256, 'pending', ${DEAD_PID}, created_at FROM objects;
      INSERT INTO uploads (endpoint, bucket, key, upload_id, fingerprint, pid, started_at, sha256, size)
        SELECT endpoint, bucket, key, 'u-' || key, fingerprint, ${DEAD_PID}, created_at, '${'f'.repeat(64)}', size FROM objects`);
    const r = (await ok(['manifest', 'import', withJournals, '--json'], { home: target })).json();
    assert.deepEqual([r.added, r.alreadyRecorded, r.notImported], [1, 0, { rotations: 1, uploads: 1 }]);
    assert.deepEqual((await manifestRows(target)).map((x) => x.key).sort(), [mine.key, 'own'].sort());
    const exported = (await ok(['manifest', 'export'], { home: target })).json();
    assert.deepEqual([exported.pendingRotations, exported.pendingUploads], [[], []]);
  });

test('an upload killed after it completed is still recorded, with its tags, by the next unrelated run', { timeout: 120_000 }, async () => {
  const h = home();
  const bucket = await newBucket('imp-own');
  const key = await makeKeyFile(h, 'k.key');
  const data = randomBytes(6 * 1024 * 1024 + 11);
  writeFileSync(join(h.dir, 'work', 'big'), data);
  const killed = await run(['put', 'big', `s3://${bucket}/big`, '--key', key.ref, '--part-size', '5'],
    { home: h, env: { SSE3_FAULT: 'after-complete' } });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.deepEqual(await manifestRows(h), [], 'killed before recording');

  await ok(['ls', '--fast', `s3://${bucket}/`], { home: h });
  const [row] = await manifestRows(h);
  assert.deepEqual([row?.key, row?.sha256, row?.size, row?.fingerprint], ['big', sha(data), data.length, key.fingerprint]);
  // A multipart object's tags also name its upload (sse3-upload), so a racing writer's tags are told from its own.
  const { 'sse3-upload': upload, ...tags } = await serverTags(bucket, 'big');
  assert.deepEqual(tags, { 'sse3-fp': key.fingerprint, 'sse3-sha256': sha(data) });
  assert.match(upload ?? '', /^[0-9a-f]{32}$/);
  assert.deepEqual((await ok(['manifest', 'export'], { home: h })).json().pendingUploads, []);
  assert.ok(!existsSync(join(h.dir, 'work', 'back')));
  const got = (await ok(['get', `s3://${bucket}/big`, 'back', '--json'], { home: h })).json();
  assert.equal(got.verified, true);
});
