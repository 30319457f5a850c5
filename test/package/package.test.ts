// The package as a user installs it: `npm pack` (which builds it the shipped way, through `prepack`), `npm install -g`
// of the tarball into an empty prefix under Node 22, then the installed sse3 starts, completes and round-trips an object,
// first under Node 22 and then, as after an upgrade of the user's Node, under Node 24. Fails when the package has an
// install script or something to compile, when `files` leaves out something bin/sse3.js loads, when code the bundle does
// not contain is no longer installed, or when the shipped build still obeys the reliability tests' fault points
// (SSE3_FAULT).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminClient, type Home, newBucket, newHome, ok, packagesLoaded, randomName, rememberSecret, type RunResult, scannedResult, tempDir }
  from '../e2e/harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** PATH with the folder of the `node` binary first: what `#!/usr/bin/env node` and npm run on. */
const pathFor = (node: string) => `${dirname(node)}:${process.env.PATH}`;

/**
 * npm without the npm_* variables of an enclosing `npm test`, which npm would read as its own settings, and without
 * SSE3_FAULT_HOOKS, which only the tests' own build sets; on `node` (the Node running the tests unless given).
 */
function npm(args: string[], cwd: string, node = process.execPath): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'SSE3_FAULT_HOOKS'));
  env.PATH = pathFor(node);
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the packed tarball installs with npm install -g and the installed sse3 works', { timeout: 900_000 }, async (t) => {
  const tmp = tempDir('sse3-pack-');

  // Packed from a copy of the sources: `prepare` builds the package there as `npm pack` and `npm publish` do, without
  // emptying the dist/ this suite runs from (which test.sh built with the fault points).
  const checkout = join(tmp, 'checkout');
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'bin', 'completions', 'schema', 'scripts', 'src', 'test']) {
    cpSync(join(ROOT, entry), join(checkout, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  const packed = await npm(['pack', '--json', '--pack-destination', tmp, '--logs-dir', join(tmp, 'logs')], checkout);
  assert.equal(packed.code, 0, packed.stderr);
  // The build's own messages (npm run's banner) come first on stdout.
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  const files = info.files.map((f) => f.path);
  for (const f of files) {
    assert.match(f, /^(bin\/|dist\/bundle\/|dist\/completion-spec\.json$|dist\/man\/sse3\.1$|completions\/|schema\/sse3-output\.schema\.json$|README\.md$|package\.json$|LICENSE)/,
      `${f} is packed`);
  }
  for (const f of ['bin/sse3.js', 'dist/bundle/cli.js', 'dist/bundle/complete.js', 'dist/completion-spec.json', 'completions/sse3.bash',
    'schema/sse3-output.schema.json']) {
    assert.ok(files.includes(f), `${f} is missing from the package`);
  }

  // Installed by a user whose Node is 22 (the oldest sse3 runs on), as the README says, with no flag: the npm cache
  // spares the downloads.
  const node22 = process.env.SSE3_TEST_NODE_OLDEST;
  assert.ok(node22, 'SSE3_TEST_NODE_OLDEST is not set: run the tests through scripts/test.sh (it installs that Node)');
  const prefix = join(tmp, 'prefix');
  const started = Date.now();
  const installed = await npm(['install', '-g', '--prefix', prefix, join(tmp, info.filename), '--prefer-offline',
    '--no-audit', '--no-fund', '--logs-dir', join(tmp, 'logs')], tmp, node22);
  assert.equal(installed.code, 0, installed.stderr);
  t.diagnostic(`npm install -g of the tarball: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.doesNotMatch(`${installed.stdout}${installed.stderr}`, /install.scripts|allow.?scripts|gyp/i, 'npm warns of install scripts');

  // Only what the bundle leaves out is installed, and nothing in it has a script to run or anything to compile.
  const installedRoot = join(prefix, 'lib', 'node_modules', 'sse3');
  const modules = join(installedRoot, 'node_modules');
  for (const name of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(modules, name, 'package.json')), `${name} is installed`);
  const scoped = readdirSync(modules).flatMap((d) => d.startsWith('@') ? readdirSync(join(modules, d)).map((s) => `${d}/${s}`) : [d]);
  for (const bundled of ['commander', 'chalk', 'ora', 'cli-progress', '@aws-sdk/client-s3', '@smithy/core']) {
    assert.ok(!scoped.includes(bundled), `${bundled} is bundled, yet installed`);
  }
  const manifests = readdirSync(installedRoot, { recursive: true }).map(String).filter((f) => f === 'package.json' || f.endsWith('/package.json'));
  assert.ok(manifests.length > 1, 'the installed packages are found');
  for (const file of manifests) {
    const installedPkg = JSON.parse(readFileSync(join(installedRoot, file), 'utf8')) as { scripts?: Record<string, string>; gypfile?: boolean };
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
      assert.equal(installedPkg.scripts?.[script], undefined, `${file} has an ${script} script`);
    }
    assert.ok(!installedPkg.gypfile && !existsSync(join(installedRoot, dirname(file), 'binding.gyp')), `${file} is compiled on install`);
  }

  // The command a user types: the bin link in the prefix, through its #! line.
  const link = join(prefix, 'bin', 'sse3');
  const version = await new Promise<string>((resolve, reject) => execFile(link, ['--version'],
    { env: { ...process.env, PATH: pathFor(process.execPath) } },
    (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
  assert.equal(version.trim(), pkg.version);

  // man finds the manual page npm linked into the prefix.
  const manual = execFileSync('man', ['-P', 'cat', 'sse3'], { env: { ...process.env, MANPATH: join(prefix, 'share', 'man'), MANWIDTH: '100' } })
    .toString();
  assert.match(manual, /sse3 rotate/);

  const bin = join(prefix, 'lib', 'node_modules', 'sse3', 'bin', 'sse3.js');
  const home = newHome();
  const env = { NODE_PATH: undefined };
  await afterNodeUpgrade(t, link, home, node22);
  assert.equal((await ok(['completion', 'bash'], { bin, env })).out, readFileSync(join(ROOT, 'completions', 'sse3.bash'), 'utf8'));
  const words = await ok(['__complete', 'bash', 'sse3 ge'], { bin, env, home });
  assert.deepEqual(words.out.trim().split('\n'), ['get']);

  // Every command chunk a round trip needs, with nothing resolved outside the bundle but the native addons.
  const keyPath = join(home.keyDir, 'k.key');
  const key = (await ok(['keygen', `file:${keyPath}`, '--json'], { bin, env, home })).json();
  rememberSecret(readFileSync(keyPath));
  const bucket = await newBucket('pack');
  const data = randomBytes(9 * 1024 * 1024 + 17); // two parts
  writeFileSync(join(home.dir, 'work', 'data'), data);
  const loaded = new Set<string>();
  const step = async (args: string[]) => {
    const { result, packages } = await packagesLoaded(args, { bin, env, home });
    assert.equal(result.code, 0, `installed sse3 ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    packages.forEach((p) => loaded.add(p));
    return result;
  };
  const put = (await step(['put', 'data', `s3://${bucket}/data`, '--key', `file:${keyPath}`, '--json'])).json();
  assert.equal(put.sha256, sha(data));
  const head = (await step(['head', `s3://${bucket}/data`, '--json'])).json();
  assert.equal(head.keyMatches, true);
  await step(['get', `s3://${bucket}/data`, 'back', '--json']);
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'back')), data);
  const keys = await step(['keys', 'list', '--json']);
  assert.match(keys.out, new RegExp(key.fingerprint));
  assert.deepEqual([...loaded].filter((p) => !p.startsWith('node:')).sort(), Object.keys(pkg.dependencies).sort());

  // The reliability tests' fault points are not in the shipped build: SSE3_FAULT neither kills nor stops it.
  // Points of the multipart upload a 9 MiB put goes through.
  for (const [i, fault] of ['after-part-2', 'before-complete:stop'].entries()) {
    const r = await ok(['put', 'data', `s3://${bucket}/fault-${i}`, '--key', `file:${keyPath}`, '--json'],
      { bin, env: { ...env, SSE3_FAULT: fault }, home, killAfterMs: 60_000 });
    assert.equal(r.json().sha256, sha(data), `SSE3_FAULT=${fault}`);
  }
  const s3 = await import('@aws-sdk/client-s3');
  const listed = await (await adminClient()).send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: 'fault-' }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key).sort(), ['fault-0', 'fault-1']);
});

/** The installed command as a user types it, through its #! line, with `node` on PATH being `node`. */
function typed(link: string, node: string, home: Home, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(link, args, { cwd: join(home.dir, 'work'), env: { ...process.env, ...home.env, PATH: pathFor(node) }, encoding: 'buffer' },
      (err, stdout, stderr) => resolve(scannedResult(args, err ? Number(err.code) : 0, null, stdout, stderr.toString())));
  });
}

/**
 * Under Node 22, which installed it: a key made in the keychain (the keyring addon loads) and an object put with it
 * (recorded through node:sqlite, with nothing said about it on stderr). Then under Node 24, as after the user's Node
 * was upgraded: the same installed package reads that manifest and finds that keychain key.
 */
async function afterNodeUpgrade(t: TestContext, link: string, home: Home, node22: string): Promise<void> {
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, 'no keychain: run the tests through scripts/test.sh');
  const name = randomName('pack');
  t.after(() => { execFileSync('secret-tool', ['clear', 'service', 'sse3', 'username', name]); });
  const made = await typed(link, node22, home, ['keygen', `keychain:${name}`, '--json']);
  assert.equal(made.code, 0, made.stderr);
  rememberSecret(Buffer.from(execFileSync('secret-tool', ['lookup', 'service', 'sse3', 'username', name]).toString().trim(), 'base64'));
  const bucket = await newBucket('upgrade');
  const data = randomBytes(64 * 1024 + 3);
  writeFileSync(join(home.dir, 'work', 'before-upgrade'), data);
  const put = await typed(link, node22, home, ['put', 'before-upgrade', `s3://${bucket}/o`, '--key', `keychain:${name}`, '--json']);
  assert.equal(put.code, 0, put.stderr);
  assert.equal(put.stderr, '', 'Node 22 says nothing of its own');
  assert.equal(put.json().sha256, sha(data));

  const got = await typed(link, process.execPath, home, ['get', `s3://${bucket}/o`, 'after-upgrade', '--json']);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.json().keySource, `keychain entry ${name}`);
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'after-upgrade')), data);
  assert.notEqual(execFileSync(node22, ['--version']).toString(), execFileSync(process.execPath, ['--version']).toString(),
    'two Node versions');
}
