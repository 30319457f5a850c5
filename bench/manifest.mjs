// Manifest at scale, through the same code sse3 runs (dist/src/manifest/store.js).
//
//   node bench/manifest.mjs build FILE ROWS ENDPOINT   creates FILE with ROWS object entries
//   node bench/manifest.mjs measure FILE ROWS ENDPOINT [N]   times ManifestStore.record / lookup
//
// The rows are filled by one bulk transaction on the store's own schema (the
// store creates it); a million record() calls would only measure the build.
// Layout: most rows are bucket/data/dNNNN/obj-NNNNNNN.bin, every tenth row in
// one of four other buckets, and bucket/some/prefix/ holds 100 "folders" and
// 300 objects, so a completion of that prefix returns a full answer.
import { createHash, randomInt } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const root = new URL('../', import.meta.url);
const { ManifestStore } = await import(new URL('dist/src/manifest/store.js', root).href);
const { SqliteDb } = await import(new URL('dist/src/manifest/sqlite.js', root).href);

const OTHER_BUCKETS = ['archive', 'logs', 'media', 'photos'];
const FINGERPRINTS = ['88f8aee7c9ea43f317a9', '1c0ffee5ba5eba11d00d', '0a1b2c3d4e5f60718293'];
const FOLDERS = 100;
const PER_FOLDER = 20;
const LOOSE = 300;
const fixedRows = FOLDERS * PER_FOLDER + LOOSE;

// Distinct, well-formed digests without hashing a million times.
const SHA_BASE = createHash('sha256').update('sse3 bench').digest('hex');
const shaOf = (n) => SHA_BASE.slice(0, 52) + n.toString(16).padStart(12, '0');

const pad = (n, w) => String(n).padStart(w, '0');

/** The i-th generic row's location; lookups regenerate it to pick existing entries. */
function generic(i) {
  const bucket = i % 10 === 0 ? OTHER_BUCKETS[(i / 10) % OTHER_BUCKETS.length] : 'bucket';
  return { bucket, key: `data/d${pad(Math.floor(i / 1000), 4)}/obj-${pad(i, 7)}.bin` };
}

function* fixed() {
  for (let f = 0; f < FOLDERS; f++) {
    for (let j = 0; j < PER_FOLDER; j++) yield { bucket: 'bucket', key: `some/prefix/part-${pad(f, 3)}/obj-${pad(j, 3)}.bin` };
  }
  for (let j = 0; j < LOOSE; j++) yield { bucket: 'bucket', key: `some/prefix/obj-${pad(j, 5)}.bin` };
}

async function build(file, rows, endpoint) {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) rmSync(f);
  new ManifestStore(file).close();
  const db = new SqliteDb(file);
  // Sorting once at the end beats updating three indexes per row; reopening the
  // store below recreates them from its own schema.
  const indexes = db.values(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects' AND sql IS NOT NULL`);
  for (const name of indexes) db.exec(`DROP INDEX "${name}"`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const insertSql = `INSERT INTO objects (endpoint, bucket, key, version_id, fingerprint, size, sha256, etag, created_at, seq)
     VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?)`;
  const t0 = performance.now();
  const created = new Date().toISOString();
  let seq = 0;
  const add = ({ bucket, key }) => {
    seq++;
    const sha = shaOf(seq);
    db.run(insertSql, endpoint, bucket, key, FINGERPRINTS[seq % FINGERPRINTS.length], 4096 + (seq % 65536), sha, sha.slice(0, 32),
      created, seq);
  };
  db.immediate(() => {
    const n = Math.max(0, rows - fixedRows);
    for (let i = 0; i < n; i++) add(generic(i));
    for (const loc of fixed()) if (seq < rows) add(loc);
    db.run(`INSERT OR REPLACE INTO counters (name, value) VALUES ('seq', ?)`, seq);
  });
  db.close();
  new ManifestStore(file).close();
  const check = new SqliteDb(file);
  const restored = check.value(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects' AND sql IS NOT NULL`);
  check.pragma('wal_checkpoint(TRUNCATE)');
  check.close();
  if (restored !== indexes.length) throw new Error(`expected ${indexes.length} indexes after the build, found ${restored}`);
  return { rows: seq, buildSeconds: (performance.now() - t0) / 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const stats = (xs) => ({ n: xs.length, median: median(xs), p95: pct(xs, 0.95), max: Math.max(...xs) });

function measure(file, rows, endpoint, n) {
  const generic_ = Math.max(0, rows - fixedRows);
  const opens = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const s = new ManifestStore(file);
    opens.push(performance.now() - t);
    s.close();
  }
  const store = new ManifestStore(file);
  const lookups = [];
  for (let i = 0; i < n; i++) {
    const loc = generic_ > 0 ? generic(randomInt(generic_)) : { bucket: 'bucket', key: 'some/prefix/obj-00000.bin' };
    const t = performance.now();
    const e = store.lookup({ endpoint, ...loc });
    lookups.push(performance.now() - t);
    if (!e || e.key !== loc.key || e.bucket !== loc.bucket) throw new Error(`lookup of ${loc.bucket}/${loc.key} found ${e?.key}`);
  }
  const adds = [];
  const created = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    // Spread over the key space so inserts land in random B-tree pages, as real puts do.
    const key = `data/d${pad(randomInt(10000), 4)}/new-${pad(i, 6)}-${randomInt(1e9)}.bin`;
    const entry = { endpoint, bucket: 'bucket', key, versionId: '', fingerprint: FINGERPRINTS[0], size: 4096,
      sha256: 'f'.repeat(64), etag: 'e'.repeat(32), createdAt: created };
    const t = performance.now();
    store.record(entry);
    adds.push(performance.now() - t);
    if (i % 100 === 0 && store.lookup({ endpoint, bucket: 'bucket', key })?.key !== key) throw new Error(`added ${key} not found`);
  }
  const count = store.count();
  store.close();
  if (count !== rows + n) throw new Error(`manifest holds ${count} rows, expected ${rows + n}`);
  return { rows, openMs: stats(opens), lookupMs: stats(lookups), addMs: stats(adds) };
}

const [cmd, file, rowsArg, endpoint, nArg] = process.argv.slice(2);
const rows = Number(rowsArg);
if (cmd === 'build' && file && rows > 0 && endpoint) {
  console.log(JSON.stringify(await build(file, rows, endpoint)));
} else if (cmd === 'measure' && file && rows > 0 && endpoint) {
  console.log(JSON.stringify(measure(file, rows, endpoint, Number(nArg ?? 2000))));
} else {
  console.error('usage: manifest.mjs build|measure FILE ROWS ENDPOINT [N]');
  process.exitCode = 2;
}
