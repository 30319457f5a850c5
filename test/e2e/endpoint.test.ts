// One server, several names: the manifest's endpoint identity and `sse3 manifest alias`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { type Home, makeKeyFile, manifestRows, newBucket, newHome, ok, putData, requireEnv, run } from './harness.js';

const port = () => new URL(requireEnv('AWS_ENDPOINT_URL')).port;
const endpoints = async (home: Home) => (await manifestRows(home)).map((r) => r.endpoint);

test('an object put through https://localhost:PORT is found through https://127.0.0.1:PORT and the other way round', async () => {
  const home = newHome();
  const bucket = await newBucket('ep');
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(700);
  const viaName = ['--endpoint-url', `https://LocalHost:${port()}/`];
  const viaAddress = ['--endpoint-url', `https://127.0.0.1:${port()}`];
  await putData(home, `s3://${bucket}/by-name`, data, key.ref, viaName);
  await putData(home, `s3://${bucket}/by-address`, data, key.ref, viaAddress);
  assert.deepEqual(await endpoints(home), [`https://127.0.0.1:${port()}`, `https://127.0.0.1:${port()}`], 'one identity');

  for (const via of [viaName, viaAddress]) {
    const v = await run(['verify', `s3://${bucket}`, '--json', ...via], { home });
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.summary().counts.ok, 2, `both objects through ${via[1]}`);
    for (const name of ['by-name', 'by-address']) {
      // No --key: the key is found through the manifest, whichever name recorded the object.
      const got = (await ok(['get', `s3://${bucket}/${name}`, name, '--json', ...via], { home })).json();
      assert.equal(got.checksumSource, 'manifest');
      assert.deepEqual(readFileSync(join(home.dir, 'work', name)), data);
    }
  }
});

test('a manifest written with the old spellings is moved to the one identity when opened', async () => {
  const home = newHome();
  const bucket = await newBucket('ep');
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/a`, randomBytes(10), key.ref);
  await putData(home, `s3://${bucket}/b`, randomBytes(10), key.ref);
  // As an older sse3 recorded them: one row under each spelling of the same server, and no record of the rule.
  const db = new Database(join(home.dir, 'home', 'manifest.db'));
  db.prepare("UPDATE objects SET endpoint = ? WHERE key = 'a'").run(`https://LOCALHOST:${port()}/`);
  db.prepare("UPDATE objects SET endpoint = ? WHERE key = 'b'").run(`https://localhost:${port()}`);
  db.prepare("DELETE FROM counters WHERE name = 'endpoint-rule'").run();
  db.close();
  const v = await run(['verify', `s3://${bucket}`, '--json'], { home });
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.summary().counts.ok, 2);
  assert.deepEqual(await endpoints(home), [`https://127.0.0.1:${port()}`, `https://127.0.0.1:${port()}`]);
});

test('manifest alias OLD NEW: records move to NEW; lookups and new records through OLD use NEW; a backup is kept', async () => {
  const home = newHome();
  const bucket = await newBucket('ep');
  const key = await makeKeyFile(home, 'k.key');
  const here = `https://127.0.0.1:${port()}`;
  const other = `https://s3.other-name.test:${port()}`;
  const data = randomBytes(300);
  await putData(home, `s3://${bucket}/before`, data, key.ref);
  // Records made under another name of this server (imported from another machine's export).
  const exported = JSON.parse((await ok(['manifest', 'export'], { home })).out);
  exported.objects = exported.objects.map((o: { key: string }) => ({ ...o, key: 'elsewhere', endpoint: `${other}/` }));
  writeFileSync(join(home.dir, 'other.json'), JSON.stringify(exported));
  await putData(home, `s3://${bucket}/elsewhere`, data, key.ref);
  const db = new Database(join(home.dir, 'home', 'manifest.db'));
  db.prepare("DELETE FROM objects WHERE key = 'elsewhere'").run();
  db.close();
  await ok(['manifest', 'import', join(home.dir, 'other.json')], { home });
  assert.deepEqual((await endpoints(home)).sort(), [here, other].sort());
  const unseen = (await ok(['verify', `s3://${bucket}`, '--json'], { home })).summary();
  assert.equal(unseen.counts.ok, 1, 'under another name the record is not found');

  // Here becomes another name of the other: every record moves there, and this name still finds them.
  const r = (await ok(['manifest', 'alias', here, `${other}/`, '--json'], { home })).json();
  assert.deepEqual([r.alias, r.endpoint, r.moved], [here, other, 1]);
  assert.match(r.backup, /backups\/manifest-.*\.db$/);
  assert.deepEqual(await endpoints(home), [other, other]);
  const v = (await ok(['verify', `s3://${bucket}`, '--json'], { home })).summary();
  assert.equal(v.counts.ok, 2, 'both records found through this name');
  const got = (await ok(['get', `s3://${bucket}/elsewhere`, 'back', '--json'], { home })).json();
  assert.equal(got.checksumSource, 'manifest');
  await putData(home, `s3://${bucket}/after`, data, key.ref);
  assert.deepEqual(await endpoints(home), [other, other, other], 'new records go under the surviving name');
  const listed = (await ok(['manifest', 'alias', '--json'], { home })).json();
  assert.deepEqual(listed.aliases, [{ alias: here, endpoint: other }]);

  const same = (await ok(['manifest', 'alias', `https://localhost:${port()}`, other, '--json'], { home })).json();
  assert.equal(same.moved, 0, 'localhost is already the same server as 127.0.0.1');
  const bad = await run(['manifest', 'alias', 'http://insecure.test', other], { home });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /must be an https:\/\/ endpoint URL/);
  const half = await run(['manifest', 'alias', other], { home });
  assert.equal(half.code, 2);
});
