// --shard I/N: workers with homes of their own split a bucket-wide command between them, each object in one shard.
// The examples/ files are read as their engines read them, and the command line each one runs is run here against the
// RGW, once per index, with the index variables the engine would set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertNoSecrets, BIN, makeKeyFile, newBucket, newHome, ok, type ProgramResult, run, runProgram, tempDir, type Home,
} from './harness.js';
import { assertEachRotated, uploadMany } from './shards.js';
import { parseYamlSubset, type YamlValue } from '../support/yaml-subset.js';

const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname;
const example = (name: string) => readFileSync(join(EXAMPLES, name), 'utf8');

/** A folder with an `sse3` on PATH that runs the built binary, as the examples call it. */
function sse3OnPath(): string {
  const dir = tempDir('sse3-shard-bin-');
  writeFileSync(join(dir, 'sse3'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  return dir;
}

/** Run a shell command line as the engine would, with `env`; its stdout's JSON lines (scanned for key material). */
async function shell(argv: string[], env: NodeJS.ProcessEnv): Promise<ProgramResult> {
  // As long as the test may take: a shard of the examples' runs rotates its objects within it.
  const r = await runProgram(argv, { env, killAfterMs: 600_000 });
  assertNoSecrets(r.stdout, `stdout of ${argv.join(' ')}`);
  assertNoSecrets(r.stderr, `stderr of ${argv.join(' ')}`);
  return r;
}

const summaryOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{"summary"')).map((l) => JSON.parse(l).summary).at(-1);

/** Keys old.key and new.key in a folder of their own, as the examples expect them. */
function keyFolder(oldPath: string, newPath: string): string {
  const dir = tempDir('sse3-shard-keys-');
  copyFileSync(oldPath, join(dir, 'old.key'));
  copyFileSync(newPath, join(dir, 'new.key'));
  return dir;
}

/** The workers' summaries: one per shard, each naming it, each OK, their counts adding up to every object once. */
function assertShardSummaries(summaries: any[], count: number, objects: number): void {
  assert.deepEqual(summaries.map((s) => s?.shard), Array.from({ length: count }, (_, i) => `${i}/${count}`));
  for (const s of summaries) assert.equal(s.ok, true, JSON.stringify(s));
  assert.equal(summaries.reduce((n, s) => n + s.succeeded, 0), objects, 'the workers rotated every object once between them');
  assert.ok(summaries.every((s) => s.succeeded > 0), 'each worker had objects of its own');
}

const get = (v: YamlValue, ...path: Array<string | number>): YamlValue =>
  path.reduce<YamlValue>((at, p) => (at as any)?.[p] ?? null, v);

test('examples/: the Kubernetes Indexed Job, the Slurm array and GNU parallel each cover the bucket once, one shard per index',
  { timeout: 600_000 }, async () => {
    const setup = newHome();
    const bucket = await newBucket('shard-ex', true);
    const keys: Array<Awaited<ReturnType<typeof makeKeyFile>>> = [];
    for (const name of ['k0', 'k1', 'k2', 'k3']) keys.push(await makeKeyFile(setup, `${name}.key`));
    const objects = await uploadMany(setup, bucket, 90, keys[0].ref);
    const path = `${sse3OnPath()}:${process.env.PATH}`;

    // Kubernetes: the manifest is an Indexed Job whose pods each get JOB_COMPLETION_INDEX; its container's command line
    // is run with the Job's environment, the RGW and key folder of this test in place of the example's.
    const job = parseYamlSubset(example('kubernetes-indexed-job.yaml'));
    assert.equal(get(job, 'kind'), 'Job');
    assert.equal(get(job, 'spec', 'completionMode'), 'Indexed');
    const completions = get(job, 'spec', 'completions') as number;
    assert.equal(get(job, 'spec', 'parallelism'), completions);
    const container = get(job, 'spec', 'template', 'spec', 'containers', 0);
    const jobEnv = Object.fromEntries((get(container, 'env') as Array<{ name: string; value: string }>).map((e) => [e.name, String(e.value)]));
    assert.equal(jobEnv.WORKERS, String(completions), 'WORKERS says as many workers as the Job runs');
    const argv = [...get(container, 'command') as string[], ...get(container, 'args') as string[]];
    const k8sKeys = keyFolder(keys[0].path, keys[1].path);
    const k8s = await Promise.all(Array.from({ length: completions }, (_, index) => shell(argv, {
      ...process.env, ...jobEnv, AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL, PATH: path, BUCKET: bucket, KEYS: k8sKeys, SSE3_HOME: join(tempDir('sse3-pod-'), 'home'),
      JOB_COMPLETION_INDEX: String(index) })));
    for (const r of k8s) assert.equal(r.code, 0, r.stderr);
    assertShardSummaries(k8s.map((r) => summaryOf(r.stdout)), completions, objects.length);
    await assertEachRotated(bucket, objects, 2, 'after the Kubernetes Job');

    // Slurm: the #SBATCH --array line gives the task ids; each task runs the script with its SLURM_ARRAY_* variables.
    const script = example('slurm-array.sh');
    const array = script.split('\n').find((l) => l.startsWith('#SBATCH --array='))!.slice('#SBATCH --array='.length);
    const [first, last] = array.split('-').map(Number);
    const tasks = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const slurmKeys = keyFolder(keys[1].path, keys[2].path);
    const homes = tempDir('sse3-slurm-homes-');
    const slurm = await Promise.all(tasks.map((id) => shell(['bash', join(EXAMPLES, 'slurm-array.sh')], {
      ...process.env, PATH: path, BUCKET: bucket, KEYS: slurmKeys, SSE3_SHARD_HOMES: homes,
      SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(first), SLURM_ARRAY_TASK_COUNT: String(tasks.length) })));
    for (const r of slurm) assert.equal(r.code, 0, r.stderr);
    assertShardSummaries(slurm.map((r) => summaryOf(r.stdout)), tasks.length, objects.length);
    await assertEachRotated(bucket, objects, 3, 'after the Slurm array');

    // GNU parallel: the job line it sends over ssh, with {} the job's index, run in each host's own $HOME.
    const parallel = example('parallel-ssh.sh');
    const workerLine = parallel.split('\n').find((l) => l.startsWith("WORKER='"))!;
    const worker = workerLine.slice("WORKER='".length, workerLine.lastIndexOf("'"));
    const workers = Number(/WORKERS=\$\{WORKERS:-(\d+)\}/.exec(parallel)![1]);
    assert.match(parallel, /parallel --sshlogin "\$HOSTS" --env BUCKET --env WORKERS .*"\$WORKER"$/m);
    const hosts = Array.from({ length: workers }, () => {
      const home = tempDir('sse3-host-');
      mkdirSync(join(home, 'sse3-keys'));
      copyFileSync(keys[2].path, join(home, 'sse3-keys', 'old.key'));
      copyFileSync(keys[3].path, join(home, 'sse3-keys', 'new.key'));
      return home;
    });
    const jobs = await Promise.all(hosts.map((home, index) => shell(['sh', '-c', worker.replaceAll('{}', String(index))], {
      ...process.env, PATH: path, HOME: home, BUCKET: bucket, WORKERS: String(workers) })));
    for (const r of jobs) assert.equal(r.code, 0, r.stderr);
    assertShardSummaries(jobs.map((r) => summaryOf(r.stdout)), workers, objects.length);
    await assertEachRotated(bucket, objects, 4, 'after GNU parallel');

    // The bucket's tags are the shared record: a fresh home sees every object under the last key.
    const fresh = newHome();
    await ok(['manifest', 'pull', `s3://${bucket}`, '--json'], { home: fresh });
    const rows = (await ok(['manifest', 'list', `s3://${bucket}`, '--json'], { home: fresh })).items();
    assert.equal(rows.length, objects.length * 4, 'every version of every object recorded');
    // Each object's versions come newest first: the first row of a key is its current version.
    const current = new Map<string, string>();
    for (const r of rows) if (!current.has(r.key)) current.set(r.key, r.fingerprint);
    assert.deepEqual([...current.keys()].sort(), objects);
    assert.deepEqual([...current.values()].filter((fp) => fp !== keys[3].fingerprint), [], 'every object is under the last key');
  });

test('--shard: a bad value is a usage error (exit 2) in one line; rotate --shard needs a scope; --json lines carry the shard',
  async () => {
    const home: Home = newHome();
    for (const bad of ['4/4', 'x', '1/0', '-1/2']) {
      const r = await run(['verify', '--shard', bad], { home });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
      assert.match(r.stderr, /--shard takes I\/N: N workers \(1 to 1000000\), I from 0 to N-1/);
    }
    const single = await run(['rotate', 's3://b/k', '--to', 'file:/nonexistent', '--shard', '0/2'], { home });
    assert.equal(single.code, 2);
    assert.match(single.stderr, /--shard goes with a scope/);
    const bucket = await newBucket('shard-json');
    const key = await makeKeyFile(home, 'k.key');
    await uploadMany(home, bucket, 12, key.ref);
    const verified = await ok(['verify', `s3://${bucket}`, '--shard', '1/3', '--json'], { home });
    assert.equal(verified.summary().shard, '1/3');
    const usage = await ok(['keys', 'usage', `s3://${bucket}`, '--shard', '2/3', '--json'], { home });
    assert.equal(usage.json().shard, '2/3');
    const pulled = await ok(['manifest', 'pull', `s3://${bucket}`, '--shard', '0/3', '--json'], { home });
    assert.equal(pulled.json().shard, '0/3');
  });

test('--shard with an object URL: the worker of its shard works on it; the others say whose it is, with nothing to do (exit 0)',
  async () => {
    const home: Home = newHome();
    const bucket = await newBucket('shard-object');
    const key = await makeKeyFile(home, 'k.key');
    const next = await makeKeyFile(home, 'next.key');
    const objects = await uploadMany(home, bucket, 4, key.ref);
    const count = 3;
    // The rule of core/shard.ts, computed here on its own: the first 48 bits of SHA-256 of the key, modulo N.
    const shardOf = (k: string) => createHash('sha256').update(k, 'utf8').digest().readUIntBE(0, 6) % count;
    const object = objects[0];
    const owner = shardOf(object);
    const other = (owner + 1) % count;
    const url = `s3://${bucket}/${object}`;
    const says = new RegExp(`${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} belongs to shard ${owner}/${count}, not to this worker's ` +
      `${other}/${count}: nothing to do here`);
    for (const args of [['verify', url], ['adopt', url], ['keys', 'usage', url], ['manifest', 'pull', url], ['manifest', 'rebuild', url],
      ['rotate', '--fingerprint', key.fingerprint, url, '--to', next.ref]]) {
      const r = await run([...args, '--shard', `${other}/${count}`], { home });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(`${r.stderr}${r.out}`, says, args.join(' '));
      assert.doesNotMatch(`${r.stderr}${r.out}`, /nothing at /, args.join(' '));
    }
    // The worker of its shard checks it; an object of that shard that is not there is still missing (exit 1).
    const mine = await ok(['verify', url, '--shard', `${owner}/${count}`, '--json'], { home });
    assert.equal(mine.summary().checked, 1);
    let absent = 'absent-0';
    for (let i = 1; shardOf(absent) !== owner; i++) absent = `absent-${i}`;
    const missing = await run(['verify', `s3://${bucket}/${absent}`, '--shard', `${owner}/${count}`], { home });
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /nothing at /);
  });
