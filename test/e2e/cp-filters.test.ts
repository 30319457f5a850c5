// cp --recursive takes --exclude/--include with sync's rules (gitignore patterns, command-line order, the last match
// deciding), in every direction: local → s3, s3 → local and s3 → s3. aws-cli lists what was stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AWS_CLI, makeKeyFile, newBucket, newHome, ok, run, runAws } from './harness.js';

const skip = !AWS_CLI && 'aws-cli not installed';

const FILES = ['a.txt', 'debug.log', 'important.log', 'node_modules/m/index.js', 'src/b.txt', 'src/trace.log', 'top.tmp', 'src/top.tmp'];
const FILTERS = ['--exclude', 'node_modules/', '--exclude', '*.log', '--include', 'important.log', '--exclude', '/top.tmp'];
const KEPT = ['a.txt', 'important.log', 'src/b.txt', 'src/top.tmp'];

/** The object keys under a prefix, as aws-cli lists them, relative to the prefix. */
async function listed(bucket: string, prefix: string): Promise<string[]> {
  const r = await runAws(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', prefix]);
  assert.equal(r.code, 0, r.stderr);
  return (r.stdout.trim() ? JSON.parse(r.stdout).Contents ?? [] : []).map((o: { Key: string }) => o.Key.slice(prefix.length)).sort();
}

/** The files under a local folder, relative to it. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(relative(root, join(dir, e.name)));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

test('cp --recursive --exclude/--include copies what sync would, up, down and s3 → s3', { skip, timeout: 120_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('cpfilter');
  const k = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'work', 'src');
  for (const f of FILES) {
    mkdirSync(join(src, f, '..'), { recursive: true });
    writeFileSync(join(src, f), f);
  }
  await ok(['cp', '-r', src, `s3://${bucket}/up/`, '--key', k.ref, ...FILTERS], { home });
  assert.deepEqual(await listed(bucket, 'up/'), KEPT, 'local → s3');
  // The same rules and code as sync: a sync with the same filters has nothing left to upload.
  const again = await ok(['sync', src, `s3://${bucket}/up/`, '--key', k.ref, ...FILTERS, '--dry-run', '--json'], { home });
  assert.equal(again.items().filter((i) => i.action !== 'unchanged').length, 0, again.out);

  await ok(['cp', '-r', src, `s3://${bucket}/all/`, '--key', k.ref], { home });
  assert.deepEqual(await listed(bucket, 'all/'), [...FILES].sort(), 'no filters: everything');
  const down = join(home.dir, 'down');
  await ok(['cp', '-r', `s3://${bucket}/all/`, down, ...FILTERS], { home });
  assert.deepEqual(filesUnder(down), KEPT, 's3 → local');
  await ok(['cp', '-r', `s3://${bucket}/all/`, `s3://${bucket}/copy/`, ...FILTERS], { home });
  assert.deepEqual(await listed(bucket, 'copy/'), KEPT, 's3 → s3');

  // Only --include: nothing is excluded, so everything is copied (as in sync).
  await ok(['cp', '-r', src, `s3://${bucket}/inc/`, '--key', k.ref, '--include', '*.txt'], { home });
  assert.deepEqual(await listed(bucket, 'inc/'), [...FILES].sort());

  const single = await run(['cp', join(src, 'a.txt'), `s3://${bucket}/one.txt`, '--key', k.ref, '--exclude', '*.log'], { home });
  assert.equal(single.code, 2, single.stderr);
  assert.match(single.stderr, /--exclude and --include choose among the files and objects --recursive copies/);
  const empty = await run(['cp', '-r', src, `s3://${bucket}/e/`, '--key', k.ref, '--exclude', ' '], { home });
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(empty.stderr, /pattern is empty/);
  assert.deepEqual(await listed(bucket, 'one.txt'), []);
});
