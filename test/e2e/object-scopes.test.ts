// Scope-taking commands given an object's URL mean that object (as ls does), never a folder named after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeKeyFile, ndjson, newBucket, newHome, ok, putData, run } from './harness.js';

test('verify, adopt, keys usage, manifest list and pull of s3://b/t/j.txt mean that object; nothing there: exit 1, an empty folder: 0', async () => {
  const home = newHome();
  const bucket = await newBucket('scopes');
  const key = await makeKeyFile(home, 's.key');
  // j.txt.bak starts with the object's name: never part of it.
  for (const name of ['t/j.txt', 't/j.txt.bak', 't/k.txt']) await putData(home, `s3://${bucket}/${name}`, randomBytes(40), key.ref);
  const obj = `s3://${bucket}/t/j.txt`;
  const nope = `s3://${bucket}/t/nope.txt`;
  const empty = `s3://${bucket}/empty/`;

  const v = await ok(['verify', obj, '--json'], { home });
  assert.deepEqual(v.items().map((o: { url: string; status: string }) => [o.url, o.status]), [[obj, 'ok']]);
  assert.equal((await ok(['verify', `s3://${bucket}/t`, '--json'], { home })).items().length, 3, 's3://b/t is the folder t/');
  const vNope = await run(['verify', nope], { home });
  assert.equal(vNope.code, 1, vNope.stderr);
  assert.match(vNope.stderr, new RegExp(`^error: nothing at ${nope} recorded on \\S+: nothing to verify$`, 'm'));
  const vEmpty = await run(['verify', empty], { home });
  assert.equal(vEmpty.code, 0, vEmpty.stderr);
  assert.match(vEmpty.stderr, /nothing recorded under .*empty\/.*nothing to verify/);

  const listed = ndjson((await ok(['manifest', 'list', obj, '--json'], { home })).out).filter((r) => !('summary' in r));
  assert.deepEqual(listed.map((r) => r.key), ['t/j.txt']);
  const lNope = await run(['manifest', 'list', nope], { home });
  assert.equal(lNope.code, 1, lNope.stderr);
  assert.match(lNope.stderr, new RegExp(`^error: nothing at ${nope} in the manifest$`, 'm'));
  assert.equal((await run(['manifest', 'list', empty], { home })).code, 0);

  const usage = (await ok(['keys', 'usage', obj, '--json'], { home })).json();
  assert.equal(usage.scanned, 1, 'one object scanned');
  const uNope = await run(['keys', 'usage', nope], { home });
  assert.equal(uNope.code, 1, uNope.stderr);
  assert.match(uNope.stderr, new RegExp(`^error: nothing at ${nope} on the server`, 'm'));

  const adopted = ndjson((await ok(['adopt', obj, '--json'], { home })).out);
  assert.deepEqual(adopted.filter((r) => !('summary' in r)).map((r) => r.url ?? r.source), [obj]);
  const aNope = await run(['adopt', nope], { home });
  assert.equal(aNope.code, 1, aNope.stderr);
  assert.match(aNope.stderr, new RegExp(`^error: nothing at ${nope} on the server`, 'm'));
  assert.equal((await run(['adopt', empty], { home })).code, 0, 'an empty folder is an empty answer');

  const pulled = (await ok(['manifest', 'pull', obj, '--json'], { home })).json();
  assert.equal(pulled.scope, obj);
  assert.equal(pulled.listed, 1);
  assert.deepEqual(pulled.removed, [], 'the records of j.txt.bak and k.txt are not the object\'s: never removed');
  const all = ndjson((await ok(['manifest', 'list', `s3://${bucket}/`, '--json'], { home })).out).filter((r) => !('summary' in r));
  assert.deepEqual(all.map((r) => r.key).sort(), ['t/j.txt', 't/j.txt.bak', 't/k.txt']);
  const pNope = await run(['manifest', 'pull', nope], { home });
  assert.equal(pNope.code, 1, pNope.stderr);

  // rebuild and rotate --fingerprint FP SCOPE too.
  const rebuilt = (await ok(['manifest', 'rebuild', obj, '--json'], { home })).json();
  assert.equal(rebuilt.scope, obj);
  assert.equal(rebuilt.unchanged + rebuilt.updated + rebuilt.added, 1);
  const next = await makeKeyFile(home, 'next.key');
  const rotated = ndjson((await ok(['rotate', '--fingerprint', key.fingerprint, obj, '--to', next.ref, '--json'], { home })).out);
  assert.deepEqual(rotated.filter((r) => !('summary' in r)).map((r) => r.url), [obj], 'only the object, not j.txt.bak beside it');
});
