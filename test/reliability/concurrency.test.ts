// Many sse3 processes sharing one SSE3_HOME: the manifest is SQLite in WAL mode with a busy timeout, and every
// process creates it, migrates it and writes to it at the same moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fileSha256, makeKeyFile, manifestExport, manifestRows, MiB, newBucket, newHome, ok, run, serverTags, serverUploads,
  sha256, workDir,
} from './support.js';

test('16 concurrent puts into one SSE3_HOME: all succeed, 16 manifest rows, verify --deep green, every object reads back',
  { timeout: 240_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('conc');
    const keyA = await makeKeyFile(home, 'a.key');
    const keyB = await makeKeyFile(home, 'b.key');
    // The manifest does not exist yet: the 16 processes race to create it.
    assert.equal(existsSync(join(home.env.SSE3_HOME!, 'manifest.db')), false);

    const files = Array.from({ length: 16 }, (_, i) => {
      // Every fourth is above one 5 MiB part, so multipart uploads interleave with single PUTs.
      const size = i % 4 === 0 ? 11 * MiB + i : 1 + i * 37_123;
      const data = randomBytes(size);
      const name = `obj-${String(i).padStart(2, '0')}.bin`;
      writeFileSync(join(workDir(home), name), data);
      return { name, size, sha256: sha256(data), key: i % 2 ? keyB : keyA };
    });

    const results = await Promise.all(files.map((f) =>
      run(['put', f.name, `s3://${bucket}/c/${f.name}`, '--key', f.key.ref, '--part-size', '5', '--json'], { home })));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `put ${files[i].name} exited ${r.code}: ${r.stderr}`);
      const j = r.json();
      assert.equal(j.sha256, files[i].sha256, files[i].name);
      assert.equal(j.parts, files[i].size > 5 * MiB ? 3 : 1, `${files[i].name} parts`);
    });

    const rows = await manifestRows(home, `s3://${bucket}`);
    assert.equal(rows.length, 16, `manifest rows: ${rows.map((r) => r.key).join(', ')}`);
    for (const f of files) {
      const row = rows.find((r) => r.key === `c/${f.name}`);
      assert.ok(row, `no manifest row for ${f.name}`);
      assert.equal(row.sha256, f.sha256, `${f.name} sha256`);
      assert.equal(row.size, f.size, `${f.name} size`);
      assert.equal(row.fingerprint, f.key.fingerprint, `${f.name} fingerprint`);
    }
    const exported = await manifestExport(home);
    assert.deepEqual(exported.pendingUploads, [], 'no multipart upload left recorded as pending');
    assert.deepEqual(await serverUploads(bucket), [], 'no multipart upload left on the server');

    const v = await run(['verify', `s3://${bucket}`, '--deep', '--json'], { home });
    assert.equal(v.code, 0, v.stderr);
    const report = v.summary();
    assert.equal(report.ok, true);
    assert.equal(report.counts.ok, 16);
    assert.equal(v.items().length, 16);

    // Reads in parallel too, without --key: the manifest names each key.
    const gets = await Promise.all(files.map((f) => run(['get', `s3://${bucket}/c/${f.name}`, `back-${f.name}`, '--json'], { home })));
    gets.forEach((g, i) => {
      assert.equal(g.code, 0, `get ${files[i].name}: ${g.stderr}`);
      assert.equal(g.json().checksumSource, 'manifest');
      assert.equal(fileSha256(join(workDir(home), `back-${files[i].name}`)), files[i].sha256, files[i].name);
    });
  });

test('concurrent puts and gets of the same objects in one SSE3_HOME never report a false integrity failure',
  { timeout: 240_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('conc');
    const key = await makeKeyFile(home, 'k.key');
    const names = Array.from({ length: 8 }, (_, i) => `s-${i}.bin`);
    const content = new Map<string, Buffer>();
    for (const n of names) {
      const data = randomBytes(200_000);
      content.set(n, data);
      writeFileSync(join(workDir(home), n), data);
    }
    await Promise.all(names.map((n) => ok(['put', n, `s3://${bucket}/${n}`, '--key', key.ref], { home })));
    // Writers of new objects and readers of existing ones hit the manifest together.
    const fresh = Array.from({ length: 8 }, (_, i) => `n-${i}.bin`);
    for (const n of fresh) {
      const data = randomBytes(150_000);
      content.set(n, data);
      writeFileSync(join(workDir(home), n), data);
    }
    const runs = await Promise.all([
      ...fresh.map((n) => run(['put', n, `s3://${bucket}/${n}`, '--key', key.ref], { home })),
      ...names.map((n) => run(['get', `s3://${bucket}/${n}`, `r-${n}`], { home })),
    ]);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    for (const n of names) assert.equal(fileSha256(join(workDir(home), `r-${n}`)), sha256(content.get(n)!), n);
    const rows = await manifestRows(home, `s3://${bucket}`);
    assert.equal(rows.length, 16);
    for (const row of rows) assert.equal(row.sha256, sha256(content.get(row.key)!), row.key);
  });

test('concurrent multipart puts of one object with different keys: the manifest\'s key always opens what is stored',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('samekey');
    const keys = await Promise.all(Array.from({ length: 6 }, (_, i) => makeKeyFile(home, `k${i}.key`)));
    const datas = keys.map(() => randomBytes(6 * MiB));
    datas.forEach((d, i) => writeFileSync(join(workDir(home), `d${i}`), d));
    const url = `s3://${bucket}/contended`;
    const results = await Promise.all(keys.map((k, i) =>
      run(['put', `d${i}`, url, '--key', k.ref, '--part-size', '5'], { home })));
    // Last writer wins on the server; a writer that lost the race may fail, but only with exit 1 and a message.
    for (const r of results.filter((x) => x.code !== 0)) assert.equal(r.code, 1, `put exited ${r.code}: ${r.stderr}`);
    assert.ok(results.some((r) => r.code === 0), `at least one writer succeeded:\n${results.map((r) => r.stderr).join('')}`);
    const h = (await ok(['head', url, '--json'], { home })).json();
    assert.equal(h.keyMatches, true, 'the recorded key opens the stored object');
    const g = (await ok(['get', url, 'got', '--json'], { home })).json();
    assert.equal(g.verified, true);
    const got = fileSha256(join(workDir(home), 'got'));
    assert.ok(datas.some((d) => sha256(d) === got), 'what comes back is one of the uploads, whole');
    // A losing writer's tags never stay on the winner's object: the tags, if any, describe what is stored.
    const tags = await serverTags(bucket, 'contended');
    if (tags['sse3-sha256']) assert.equal(tags['sse3-sha256'], got, 'the checksum tag is the stored data\'s');
    if (tags['sse3-fp']) assert.equal(tags['sse3-fp'], g.fingerprint, 'the fingerprint tag is the stored data\'s key');
  });

test('a put that loses a race to another writer explains it, instead of "Unknown (HTTP 400)"', {
  timeout: 180_000,
}, async () => {
  const home = newHome();
  const bucket = await newBucket('samekey');
  const keys = await Promise.all(Array.from({ length: 6 }, (_, i) => makeKeyFile(home, `k${i}.key`)));
  keys.forEach((_, i) => writeFileSync(join(workDir(home), `d${i}`), randomBytes(6 * MiB)));
  const results = await Promise.all(keys.map((k, i) =>
    run(['put', `d${i}`, `s3://${bucket}/contended`, '--key', k.ref, '--part-size', '5'], { home })));
  for (const r of results.filter((x) => x.code !== 0)) {
    assert.equal(r.code, 1, `put exited ${r.code}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Unknown \(HTTP 400\)/);
    assert.doesNotMatch(r.stderr, /could not abort multipart upload/);
    assert.match(r.stderr, /^hint: /m);
  }
});
