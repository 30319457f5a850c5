// Turns one bench/targets.sh run (its scratch folder) into targets.json and targets.md: each start-up, memory and
// rotation target with sse3's figure, the limit, whether it is met, and the peers' figures of the same run.
//
//   node bench/targets.mjs WORKDIR RESULTS_DIR
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { STARTUP_OVER_NODE_MS } from './limits.mjs';

const [work, outDir] = process.argv.slice(2);
if (!work || !outDir) {
  console.error('usage: targets.mjs WORKDIR RESULTS_DIR');
  process.exit(2);
}
const read = (f) => JSON.parse(readFileSync(join(work, f), 'utf8'));
const config = read('config.json');
const runs = readFileSync(join(work, 'raw.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const byName = (hf) => Object.fromEntries(hf.results.map((r) => [r.command, r]));
const startup = byName(read('hf-startup.json'));
const get1k = byName(read('hf-get1k.json'));
const teams = config.teamsCounts.map((count) => ({ count, ...JSON.parse(readFileSync(join(work, `teams-${count}`, 'teams.json'), 'utf8')) }));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).split('\n')[0].trim();
  } catch {
    return 'unknown';
  }
};

/** Per tool: median wall and CPU, and the largest peak RSS over the repetitions (the RSS limits are ceilings). */
function scenario(name) {
  const out = {};
  for (const r of runs.filter((x) => x.scenario === name)) (out[r.tool] ??= []).push(r);
  return Object.fromEntries(Object.entries(out).map(([tool, rs]) => [tool, {
    reps: rs.length, wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.user + r.sys)),
    rssMiB: Math.max(...rs.map((r) => r.maxrssKiB / 1024)),
  }]));
}
const s = {
  bigPut: scenario('big_put'), bigGet: scenario('big_get'), bigRotate: scenario('big_rotate'),
  smallUp: scenario('small_up'), smallDown: scenario('small_down'), smallRotate: scenario('small_rotate'),
};
const PEERS = ['aws-cli', 'rclone'];
const bestPeer = (scen) => PEERS.filter((p) => scen[p]).map((p) => ({ tool: p, wall: scen[p].wall })).reduce((a, b) => (b.wall < a.wall ? b : a));

const fmtS = (x) => (x < 1 ? `${(x * 1000).toFixed(0)} ms` : `${x.toFixed(2)} s`);
const fmtMs = (x) => `${(x * 1000).toFixed(1)} ms`;
const fmtMiB = (x) => `${x.toFixed(0)} MiB`;

const targets = [];
const target = (name, value, limit, met, detail) => targets.push({ name, value, limit, met, detail });

// Start-up: whole processes, medians of one hyperfine run.
{
  const sse3 = get1k.sse3.median, rclone = get1k.rclone.median;
  const machine = get1k['sse3 (machine NODE_EXTRA_CA_CERTS)'];
  // The floor no Node.js tool goes under: node's start, TLS and the one request, nothing else (bench/floor-get.mjs).
  const floor = get1k['node floor (one signed GET)'];
  target('1 KiB get, whole process ÷ rclone', `${(sse3 / rclone).toFixed(2)}×`, '≤ 0.70×', sse3 / rclone <= 0.7,
    `${fmtMs(sse3)} vs ${fmtMs(rclone)}; aws-cli ${fmtMs(get1k['aws-cli'].median)}` +
    (floor ? `; a node process doing only the signed GET ${fmtMs(floor.median)} (${(floor.median / rclone).toFixed(2)}× rclone), sse3 +${fmtMs(sse3 - floor.median)} over it` : '') +
    (machine ? `; sse3 with the machine's NODE_EXTRA_CA_CERTS ${fmtMs(machine.median)}` : ''));
  const node = startup['node -e 0'].median;
  for (const [name, limitMs] of Object.entries(STARTUP_OVER_NODE_MS).filter(([k]) => startup[k])) {
    const over = startup[name].median - node;
    target(`${name}, over bare node`, `${over >= 0 ? '+' : '−'}${Math.abs(over * 1000).toFixed(1)} ms`, `≤ +${limitMs} ms`, over * 1000 <= limitMs,
      `${fmtMs(startup[name].median)} vs node -e 0 ${fmtMs(node)}`);
  }
}
// 512 MiB put and get.
for (const [label, scen] of [['put', s.bigPut], ['get', s.bigGet]]) {
  const peer = bestPeer(scen);
  target(`${config.bigMiB} MiB ${label}: peak RSS`, fmtMiB(scen.sse3.rssMiB), '≤ 100 MiB (stretch 80)', scen.sse3.rssMiB <= 100,
    `aws-cli ${fmtMiB(scen['aws-cli'].rssMiB)}, rclone ${fmtMiB(scen.rclone.rssMiB)}`);
  target(`${config.bigMiB} MiB ${label}: wall ÷ best peer`, `${(scen.sse3.wall / peer.wall).toFixed(2)}×`, '≤ 0.90×',
    scen.sse3.wall / peer.wall <= 0.9, `${fmtS(scen.sse3.wall)} vs ${fmtS(peer.wall)} (${peer.tool})`);
}
// Rotating one big object.
{
  const r = s.bigRotate.sse3, budget = s.bigPut.sse3.wall + s.bigGet.sse3.wall;
  target(`rotate one ${config.bigMiB} MiB object: peak RSS`, fmtMiB(r.rssMiB), '≤ 100 MiB', r.rssMiB <= 100, `client CPU ${fmtS(r.cpu)}`);
  target(`rotate one ${config.bigMiB} MiB object: wall ÷ (sse3 put + get)`, `${(r.wall / budget).toFixed(2)}×`, '≤ 1.00×', r.wall <= budget,
    `${fmtS(r.wall)} vs ${fmtS(budget)}`);
}
// rotate --recursive of small objects, against 300/s and against the rate a GET plus a PUT of each object allows.
{
  const n = config.smallCount, rate = n / s.smallRotate.sse3.wall;
  const down = n / s.smallDown.sse3.wall, up = n / s.smallUp.sse3.wall, getPut = 1 / (1 / down + 1 / up);
  const perObject = (sc) => `${((sc.sse3.cpu / n) * 1000).toFixed(2)} ms`;
  target(`rotate -r ${n.toLocaleString('en-US')} × ${config.smallKiB} KiB`, `${rate.toFixed(0)} objects/s`, '≥ 300 objects/s', rate >= 300,
    `client CPU per object: rotate ${perObject(s.smallRotate)}, cp -r up ${perObject(s.smallUp)}, down ${perObject(s.smallDown)}`);
  target('rotate -r ÷ the GET + PUT rate of the same run', `${(rate / getPut).toFixed(2)}×`, '≥ 1.00×', rate >= getPut,
    `sse3 cp -r down ${down.toFixed(0)}/s, up ${up.toFixed(0)}/s → 1/(1/down + 1/up) = ${getPut.toFixed(0)}/s`);
}
// keys usage and the first manifest pull in a fresh home.
const teamRss = (t, what) => t.rows.find((r) => r.what === what).maxrssKiB / 1024;
for (const what of ['keys usage s3://B', 'manifest pull (first)']) {
  for (const t of teams) {
    const rss = teamRss(t, what);
    target(`${what.replace(' s3://B', '')} at ${t.count.toLocaleString('en-US')} objects: peak RSS`, fmtMiB(rss), '≤ 150 MiB', rss <= 150,
      `${t.rows.find((r) => r.what === what).wall.toFixed(1)} s wall`);
  }
  if (teams.length >= 2) {
    const [a, b] = [teams[0], teams.at(-1)];
    const per10k = ((teamRss(b, what) - teamRss(a, what)) / (b.count - a.count)) * 10_000;
    // Memory that shrank between the counts did not go on shrinking: the larger figure, grown only by a positive slope.
    const at1M = Math.max(teamRss(a, what), teamRss(b, what)) + (Math.max(0, per10k) * (1_000_000 - b.count)) / 10_000;
    target(`${what.replace(' s3://B', '')}: growth, extrapolated to 1,000,000 objects`, fmtMiB(at1M), '≤ 150 MiB', at1M <= 150,
      `${per10k >= 0 ? '+' : ''}${per10k.toFixed(2)} MiB per 10,000 objects between ${a.count.toLocaleString('en-US')} and ${b.count.toLocaleString('en-US')}`);
  }
}

const load = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
const meta = {
  date: new Date().toISOString(), startedAt: config.startedAt, mode: config.quick ? 'quick' : 'full', cores: os.cpus().length,
  loadAtStart: config.loadAtStart.map((x) => +x.toFixed(2)), loadAtEnd: os.loadavg().map((x) => +x.toFixed(2)),
  node: process.version, sse3Commit: sh('git', ['rev-parse', '--short', 'HEAD']), 'aws-cli': sh('/usr/bin/aws', ['--version']),
  rclone: sh('rclone', ['version']), ceph: sh('radosgw', ['--version']),
  environment: config.machineExtraCaCerts ? `NODE_EXTRA_CA_CERTS unset for every measured process (the machine sets it to ${config.machineExtraCaCerts}; the rows marked "machine" have it)`
    : 'NODE_EXTRA_CA_CERTS not set on this machine',
};

const transferRows = [];
for (const [label, scen] of [[`${config.bigMiB} MiB put`, s.bigPut], [`${config.bigMiB} MiB get`, s.bigGet],
  [`${config.smallCount} × ${config.smallKiB} KiB up (cp -r)`, s.smallUp], [`${config.smallCount} × ${config.smallKiB} KiB down (cp -r)`, s.smallDown]]) {
  const cell = (t, f) => (scen[t] ? f(scen[t]) : '—');
  transferRows.push(`| ${label} | wall | ${['sse3', ...PEERS].map((t) => cell(t, (x) => fmtS(x.wall))).join(' | ')} |`);
  transferRows.push(`| ${label} | client CPU | ${['sse3', ...PEERS].map((t) => cell(t, (x) => fmtS(x.cpu))).join(' | ')} |`);
  transferRows.push(`| ${label} | peak RSS | ${['sse3', ...PEERS].map((t) => cell(t, (x) => fmtMiB(x.rssMiB))).join(' | ')} |`);
}
const startupRows = Object.values(startup).concat(Object.values(get1k)).map((r) =>
  `| ${r.command} | ${fmtMs(r.median)} | ${fmtMs(r.user + r.system)} |`);

const met = targets.filter((t) => t.met).length;
const md = `# sse3 targets: start-up, memory, rotation

Run of ${meta.date.slice(0, 16).replace('T', ' ')} UTC (${meta.mode}), ${meta.cores} cores shared with the RGW; load average at start
${meta.loadAtStart.join(' / ')}, at end ${load}. sse3 ${meta.sse3Commit} on Node ${meta.node}; ${meta['aws-cli']}; ${meta.rclone};
${meta.ceph}. ${meta.environment}. Every tool had the same SSE-C key and the test CA given explicitly. Medians of
${config.reps} repetition(s) (peak RSS: the largest); start-up: ${config.startupRuns} hyperfine runs, 1 KiB get: ${config.getRuns}.

## Targets (${met} of ${targets.length} met)

| target | sse3 | limit | met | detail |
| --- | ---: | ---: | :---: | --- |
${targets.map((t) => `| ${t.name} | ${t.value} | ${t.limit} | ${t.met ? '✅' : '❌'} | ${t.detail} |`).join('\n')}

## Transfers in the same run

| scenario | metric | sse3 | aws-cli | rclone |
| --- | --- | ---: | ---: | ---: |
${transferRows.join('\n')}

## Start-up (whole processes)

| command | median | client CPU |
| --- | ---: | ---: |
${startupRows.join('\n')}

## keys usage and manifest pull (fresh home)

| objects | run | wall | peak RSS |
| ---: | --- | ---: | ---: |
${teams.flatMap((t) => t.rows.map((r) => `| ${t.count.toLocaleString('en-US')} | ${r.what} | ${r.wall.toFixed(1)} s | ${fmtMiB(r.maxrssKiB / 1024)} |`)).join('\n')}
`;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'targets.md'), md);
writeFileSync(join(outDir, 'targets.json'), JSON.stringify({ meta, config, targets, scenarios: s, teams }, null, 2) + '\n');
console.log(`sse3 targets: ${met} of ${targets.length} met — ${join(outDir, 'targets.md')}`);
