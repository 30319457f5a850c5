// A manifest damaged at five places (its header page, the pages after it, two pages inside, its last page), and every
// command's answer on it: those that read it refuse with MANIFEST_DAMAGED and the way back, changing nothing on the
// server or in the file; rebuild and import move it aside and recover; nothing crashes or works on garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Home, makeKeyFile, manifestRows, newBucket, newHome, ok, putData, run, type RunResult, serverObjects, workDir,
} from './support.js';

const PAGE = 4096;
const manifestFile = (home: Home) => join(home.dir, 'home', 'manifest.db');

/** Many records besides the bucket's, so the file has pages enough to damage at five places. */
function syntheticExport(count: number): string {
  const objects = Array.from({ length: count }, (_, i) => ({
    endpoint: 'https://s3.example.com', bucket: 'elsewhere', key: `photos/${i}/IMG_${i}.jpg`, versionId: '',
    fingerprint: randomBytes(10).toString('hex'), size: i, sha256: randomBytes(32).toString('hex'),
    etag: randomBytes(16).toString('hex'), createdAt: '2026-11-27T10:00:00.000Z', mtimeMs: 1_700_000_000_000 + i,
  }));
  return JSON.stringify({ format: 'sse3-manifest', version: 1, exportedAt: new Date().toISOString(), objects });
}

function damagePage(file: string, page: number): Buffer {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, randomBytes(PAGE), 0, PAGE, page * PAGE);
  } finally {
    closeSync(fd);
  }
  return readFileSync(file);
}

/** A copy of a prepared home (manifest, backups, key folder) for one damage. */
function copyHome(from: Home): Home {
  const home = newHome();
  cpSync(join(from.dir, 'home'), join(home.dir, 'home'), { recursive: true });
  return home;
}

function refused(r: RunResult, where: string, file: string): void {
  assert.equal(r.signal, null, `${where} was killed`);
  assert.equal(r.code, 1, `${where} exited ${r.code}\n${r.stderr}`);
  assert.equal(r.json().error.code, 'MANIFEST_DAMAGED', `${where}\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.match(lines[0], new RegExp(`^error: the manifest ${file} is damaged \\(.*\\); nothing was changed$`), where);
  assert.match(lines[1], /^hint: restore the newest backup with: sse3 manifest import \S+\/backups\/manifest-\S+\.db, or rebuild from the objects' tags with: sse3 manifest rebuild s3:\/\/BUCKET/, where);
  assert.doesNotMatch(r.stderr, /unexpected|TypeError|at .*\.js:\d+/, where);
}

test('a manifest damaged at its header, inner and last pages: every command refuses or recovers, none works on garbage',
  { timeout: 600_000 }, async () => {
    const base = newHome();
    const bucket = await newBucket('damage');
    const key = await makeKeyFile(base, 'k.key');
    const other = await makeKeyFile(base, 'k2.key');
    const data = randomBytes(2000);
    await putData(base, `s3://${bucket}/a`, data, key.ref);
    await putData(base, `s3://${bucket}/b`, randomBytes(20), key.ref);
    writeFileSync(join(base.dir, 'synthetic.json'), syntheticExport(600));
    await ok(['manifest', 'import', join(base.dir, 'synthetic.json')], { home: base });
    const pages = statSync(manifestFile(base)).size / PAGE;
    assert.ok(pages >= 40 && Number.isInteger(pages), `${pages} pages`);
    assert.ok(!existsSync(`${manifestFile(base)}-wal`), 'everything is in the file itself');
    const onServer = await serverObjects(bucket);

    for (const page of [0, 1, Math.floor(pages / 3), Math.floor((2 * pages) / 3), pages - 1]) {
      const home = copyHome(base);
      const file = manifestFile(home);
      const damaged = damagePage(file, page);
      const backups = readdirSync(join(home.dir, 'home', 'backups')).sort();
      const at = `page ${page} of ${pages}`;
      writeFileSync(join(workDir(home), 'x'), 'x');
      mkdirSync(join(workDir(home), 'up'));
      writeFileSync(join(workDir(home), 'up', 'f'), 'f');

      const readers = [
        ['get', `s3://${bucket}/a`, 'out'], ['head', `s3://${bucket}/a`], ['put', 'x', `s3://${bucket}/new`, '--key', key.ref],
        ['cp', `s3://${bucket}/a`, 'out2'], ['cp', `s3://${bucket}/a`, `s3://${bucket}/copy`, '--key', key.ref],
        ['sync', 'up', `s3://${bucket}/up/`, '--key', key.ref], ['sync', `s3://${bucket}/`, 'down'],
        ['rotate', `s3://${bucket}/a`, '--to', other.ref], ['rotate', '--resume'], ['verify'], ['ls'], ['ls', `s3://${bucket}`],
        ['rm', `s3://${bucket}/b`], ['adopt', `s3://${bucket}`], ['keys', 'usage', `s3://${bucket}`],
        ['manifest', 'list'], ['manifest', 'export'], ['manifest', 'alias'], ['manifest', 'alias', 'https://old.example.com', 'https://s3.example.com'],
        ['manifest', 'pull', `s3://${bucket}`],
      ];
      for (let i = 0; i < readers.length; i += 5) {
        const batch = readers.slice(i, i + 5);
        const results = await Promise.all(batch.map((args) => run([...args, '--json'], { home })));
        results.forEach((r, j) => refused(r, `${at}: sse3 ${batch[j].join(' ')}`, file));
      }
      assert.deepEqual(readFileSync(file), damaged, `${at}: the damaged file is left as it was`);
      assert.deepEqual(readdirSync(join(home.dir, 'home', 'backups')).sort(), backups, `${at}: no backup of a damaged manifest`);
      assert.deepEqual(await serverObjects(bucket), onServer, `${at}: nothing changed on the server`);
      // (sync makes its destination folder only with the first file it downloads: not even that.)
      assert.deepEqual(readdirSync(workDir(home)).sort(), ['up', 'x'], `${at}: nothing downloaded`);

      // What does not read the manifest works; keys lists the keys and says its counts are unknown.
      await ok(['keygen', `file:${join(home.dir, 'new.key')}`], { home });
      const keys = await run(['keys', '--json'], { home });
      assert.equal(keys.code, 0, `${at}: keys\n${keys.stderr}`);
      assert.ok(keys.json().keys.length >= 2 && keys.json().keys.every((k: { objects: unknown }) => k.objects === null), at);
      assert.match(keys.stderr, /warning: the manifest .* is damaged .*sse3 manifest rebuild s3:\/\/BUCKET.*recorded object counts are unknown/, at);
      const completion = await run(['__complete', 'bash', `sse3 get s3://${bucket}/`], { home });
      assert.equal(completion.code, 0, at);
      // Completion never fails; from a damaged manifest it offers what it can still read, never garbage.
      const offered = completion.out.split('\n').map((c) => c.trim()).filter(Boolean);
      assert.ok(offered.every((c) => [`s3://${bucket}/a`, `s3://${bucket}/b`].includes(c)), `${at}: completion offered ${offered.join(' ')}`);

      // The way back: rebuild from the tags, or import the newest backup; each moves the damaged file aside first.
      const imported = await run(['manifest', 'import', join(home.dir, 'home', 'backups', backups.at(-1)!), '--json'], { home });
      assert.equal(imported.code, 0, `${at}: import\n${imported.stderr}`);
      assert.deepEqual(readFileSync(imported.json().movedAside), damaged, at);
      assert.equal(imported.json().added, 602, at);
      assert.equal((await ok(['get', `s3://${bucket}/a`, 'out', '--json'], { home })).json().verified, true, at);
      assert.deepEqual(readFileSync(join(workDir(home), 'out')), data, at);

      // The imported file is laid out anew and may be a page shorter: damage the same place within it, never past
      // its end (where SQLite would not read).
      assert.ok(!existsSync(`${file}-wal`), `${at}: everything is in the file itself`);
      damagePage(file, Math.min(page, statSync(file).size / PAGE - 1));
      const rebuilt = await run(['manifest', 'rebuild', `s3://${bucket}`, '--json'], { home });
      assert.equal(rebuilt.code, 0, `${at}: rebuild\n${rebuilt.stderr}`);
      assert.equal(rebuilt.json().added, 2, at);
      assert.match(rebuilt.json().movedAside, /manifest\.db\.damaged-/, at);
      assert.deepEqual((await manifestRows(home)).map((r) => r.key).sort(), ['a', 'b'], at);
      await ok(['verify', `s3://${bucket}`], { home });
    }
  });
