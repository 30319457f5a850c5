// Turns one run's raw measurements (bench/run.sh's scratch folder) into
// results.json, results.md and chart.svg, and, when asked, the results table
// between the bench markers of README.md.
//
//   node bench/report.mjs WORKDIR RESULTS_DIR UPDATE_README(0|1)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { STARTUP_OVER_NODE_MS } from './limits.mjs';

const [work, outDir, updateReadme] = process.argv.slice(2);
if (!work || !outDir) {
  console.error('usage: report.mjs WORKDIR RESULTS_DIR [0|1]');
  process.exit(2);
}

const readJson = (f) => JSON.parse(readFileSync(join(work, f), 'utf8'));
const readNdjson = (f) => existsSync(join(work, f))
  ? readFileSync(join(work, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

const config = readJson('config.json');
const runs = readNdjson('raw.ndjson');
const store = readNdjson('store.ndjson');
const hfStartup = readJson('hf-startup.json');
const hfGet = readJson('hf-get1k.json');
const manifestBuild = readJson('manifest-build.json');
const manifest = readJson('manifest-measure.json');
const syncChecks = readNdjson('sync.ndjson');

const PEERS = ['aws-cli', 'rclone'];
const TOOLS = ['sse3', ...PEERS];

const median = (xs) => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 4) => (x === undefined ? undefined : Number(x.toFixed(d)));

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).split('\n')[0].trim();
  } catch {
    return 'unknown';
  }
}

function gitCommit() {
  const head = sh('git', ['rev-parse', '--short', 'HEAD']);
  let dirty = false;
  try {
    execFileSync('git', ['diff', '--quiet', 'HEAD', '--', 'src', 'bin', 'scripts', 'package.json'], { stdio: 'ignore' });
  } catch {
    dirty = true;
  }
  return dirty ? `${head} (with uncommitted changes)` : head;
}

const cpuModel = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model;
  } catch {
    return os.cpus()[0]?.model;
  }
})();

const meta = {
  date: new Date().toISOString(),
  startedAt: config.startedAt,
  mode: config.quick ? 'quick' : 'full',
  machine: {
    nproc: Number(sh('nproc', [])) || os.cpus().length,
    cpu: cpuModel,
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(),
    os: sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
    loadAtStart: config.loadAtStart.map((x) => round(x, 2)),
    loadAtEnd: os.loadavg().map((x) => round(x, 2)),
  },
  versions: {
    node: process.version,
    sse3: sh('node', ['bin/sse3.js', '--version']),
    sse3Commit: gitCommit(),
    'aws-cli': sh(process.env.AWS_BIN || '/usr/bin/aws', ['--version']),
    rclone: sh('rclone', ['version']),
    hyperfine: sh('hyperfine', ['--version']),
    ceph: sh('radosgw', ['--version']),
  },
  config: {
    reps: config.reps, bigMiB: config.bigMiB, smallCount: config.smallCount, smallKiB: config.smallKiB,
    manifestRows: config.manifestRows, getRuns: config.getRuns, startupRuns: config.startupRuns,
    syncFiles: config.syncFiles, syncLarge: config.syncLarge, syncLargeMiB: config.syncLargeMiB, syncRssFiles: config.syncRssFiles,
  },
};

// ---------------------------------------------------------------------------------------------
// Summaries

/** Medians per scenario and tool over the repetitions. */
function transfer(scenario) {
  const out = {};
  for (const tool of TOOLS) {
    const rs = runs.filter((r) => r.scenario === scenario && r.tool === tool);
    if (!rs.length) continue;
    out[tool] = {
      reps: rs.length,
      wall: round(median(rs.map((r) => r.wall))),
      cpu: round(median(rs.map((r) => r.user + r.sys)), 3),
      user: round(median(rs.map((r) => r.user)), 3),
      sys: round(median(rs.map((r) => r.sys)), 3),
      rssMiB: round(median(rs.map((r) => r.maxrssKiB / 1024)), 1),
      rssMaxMiB: round(Math.max(...rs.map((r) => r.maxrssKiB / 1024)), 1),
      wallMin: round(Math.min(...rs.map((r) => r.wall))),
      wallMax: round(Math.max(...rs.map((r) => r.wall))),
    };
  }
  return out;
}

const hfBy = (hf) => Object.fromEntries(hf.results.map((r) => [r.command, {
  runs: r.times.length, median: round(r.median, 5), mean: round(r.mean, 5), stddev: round(r.stddev, 5),
  min: round(r.min, 5), max: round(r.max, 5), user: round(r.user, 5), sys: round(r.system, 5),
}]));

const get1k = hfBy(hfGet);
const startup = hfBy(hfStartup);

const summary = {
  get1k: Object.fromEntries(TOOLS.filter((t) => get1k[t]).map((t) => [t, { wall: get1k[t].median, cpu: round(get1k[t].user + get1k[t].sys, 4) }])),
  bigPut: transfer('big_put'),
  bigGet: transfer('big_get'),
  smallUp: transfer('small_up'),
  smallDown: transfer('small_down'),
  bigRotate: transfer('big_rotate'),
  smallRotate: transfer('small_rotate'),
  scaleFill: transfer('scale_fill'),
  scaleVerify: transfer('scale_verify'),
  scaleRotate: transfer('scale_rotate'),
  scaleVerifyAfter: transfer('scale_verify_after'),
  manifest: {
    rows: manifestBuild.rows,
    buildSeconds: round(manifestBuild.buildSeconds, 2),
    addMs: manifest.addMs, lookupMs: manifest.lookupMs, openMs: manifest.openMs,
    completePrefixMs: round(startup['complete: prefix'].median * 1000, 2),
  },
  syncFirst: transfer('sync_first'),
  syncNoChange: transfer('sync_nochange'),
  syncChanged: transfer('sync_changed'),
  syncRss: transfer('sync_rss'),
  syncChecks: {
    // Requests sse3 sent in its no-change syncs beyond listing pages (the manifest must answer for every object).
    sse3PerObjectRequests: Math.max(0, ...syncChecks.filter((c) => c.tool === 'sse3' || c.rss).map((c) => c.requests - c.listRequests)),
    sse3ListRequests: syncChecks.filter((c) => c.tool === 'sse3').map((c) => c.listRequests),
    rssRun: syncChecks.find((c) => c.rss),
    rewroteInNoChange: Object.fromEntries(TOOLS.map((t) => [t, syncChecks.some((c) => c.tool === t && c.rewrote)])),
  },
  startupMs: Object.fromEntries(Object.entries(startup).map(([k, v]) => [k, round(v.median * 1000, 2)])),
  storePeakUsedMiB: store.length ? round(Math.max(...store.map((s) => s.storeUsedBytes)) / 2 ** 20, 1) : undefined,
};

const bestPeer = (scen, metric) => {
  const vals = PEERS.filter((p) => scen[p]?.[metric] !== undefined).map((p) => ({ tool: p, value: scen[p][metric] }));
  if (!vals.length) return undefined;
  return vals.reduce((a, b) => (b.value < a.value ? b : a));
};

// ---------------------------------------------------------------------------------------------
// Targets

const rowsLabel = config.manifestRows >= 1e6 ? `${config.manifestRows / 1e6}M` : config.manifestRows.toLocaleString('en-US');
const big = `${config.bigMiB} MiB`;
const targets = [];
const target = (name, value, limit, unit, met, note = '') => targets.push({ name, value: round(value, 4), limit, unit, met, note });

{
  const bw = bestPeer(summary.get1k, 'wall');
  const ratio = summary.get1k.sse3.wall / bw.value;
  target('1 KiB get (whole process) ÷ best peer', ratio, 0.7, '×', ratio <= 0.7, `${fmtS(summary.get1k.sse3.wall)} vs ${fmtS(bw.value)} (${bw.tool})`);
}
for (const [label, scen] of [[`${big} put`, summary.bigPut], [`${big} get`, summary.bigGet]]) {
  const bw = bestPeer(scen, 'wall');
  const ratio = scen.sse3.wall / bw.value;
  target(`${label} wall ÷ best peer`, ratio, 0.9, '×', ratio <= 0.9, `${fmtS(scen.sse3.wall)} vs ${fmtS(bw.value)} (${bw.tool})`);
  const bc = bestPeer(scen, 'cpu');
  const cr = scen.sse3.cpu / bc.value;
  target(`${label} client CPU ÷ best peer`, cr, 1.0, '×', cr <= 1.0, `${fmtS(scen.sse3.cpu)} vs ${fmtS(bc.value)} (${bc.tool})`);
}
for (const [label, scen] of [[`${big} put`, summary.bigPut], [`${big} get`, summary.bigGet], [`${big} rotate`, summary.bigRotate]]) {
  target(`peak RSS, ${label}`, scen.sse3.rssMiB, 100, 'MiB', scen.sse3.rssMiB <= 100, `max of reps ${scen.sse3.rssMaxMiB} MiB`);
}
// Objects per second of an sse3-only batch scenario (count objects in its median wall time).
const perSecond = (scen, count) => (scen?.sse3 ? count / scen.sse3.wall : undefined);
const smallRotateRate = perSecond(summary.smallRotate, config.smallCount);
target(`rotate --recursive ${config.smallCount.toLocaleString('en-US')} × ${config.smallKiB} KiB`, smallRotateRate, 300, 'objects/s',
  smallRotateRate >= 300, `${fmtS(summary.smallRotate.sse3.wall)} wall`);
{
  const budget = summary.bigPut.sse3.wall + summary.bigGet.sse3.wall;
  target(`${big} rotate wall ÷ (sse3 put + get)`, summary.bigRotate.sse3.wall / budget, 1, '×', summary.bigRotate.sse3.wall <= budget,
    `${fmtS(summary.bigRotate.sse3.wall)} vs ${fmtS(budget)}`);
}
const scaleLabel = `${config.scaleCount.toLocaleString('en-US')} objects`;
for (const [label, scen] of [[`verify over ${scaleLabel}`, summary.scaleVerify], [`rotate --fingerprint over ${scaleLabel}`, summary.scaleRotate]]) {
  if (!scen.sse3) continue;
  target(`peak RSS, ${label}`, scen.sse3.rssMiB, 150, 'MiB', scen.sse3.rssMiB <= 150,
    `${Math.round(perSecond(scen, config.scaleCount))} objects/s, ${fmtS(scen.sse3.wall)} wall`);
}
const syncLabel = `${config.syncFiles.toLocaleString('en-US')} × ${config.smallKiB} KiB + ${config.syncLarge} × ${config.syncLargeMiB} MiB`;
for (const [label, scen, limit] of [['sync, first', summary.syncFirst, 0.9], ['sync, no change', summary.syncNoChange, 0.8]]) {
  const bw = bestPeer(scen, 'wall');
  const ratio = scen.sse3.wall / bw.value;
  target(`${label} (${syncLabel}) wall ÷ best peer`, ratio, limit, '×', ratio <= limit, `${fmtS(scen.sse3.wall)} vs ${fmtS(bw.value)} (${bw.tool})`);
}
target('sync, no change: requests other than listing pages', summary.syncChecks.sse3PerObjectRequests, 0, 'requests',
  summary.syncChecks.sse3PerObjectRequests === 0, `listing pages: ${summary.syncChecks.sse3ListRequests.join(', ')}`);
target(`peak RSS, no-change sync of ${config.syncRssFiles.toLocaleString('en-US')} files`, summary.syncRss.sse3.rssMiB, 150, 'MiB',
  summary.syncRss.sse3.rssMiB <= 150, `${fmtS(summary.syncRss.sse3.wall)} wall`);
target(`manifest add at ${rowsLabel} entries`, manifest.addMs.median, 5, 'ms', manifest.addMs.median < 5,
  `p95 ${fmtMs(manifest.addMs.p95)}, max ${fmtMs(manifest.addMs.max)}`);
target(`manifest lookup at ${rowsLabel} entries`, manifest.lookupMs.median, 5, 'ms', manifest.lookupMs.median < 5,
  `p95 ${fmtMs(manifest.lookupMs.p95)}, max ${fmtMs(manifest.lookupMs.max)}`);
for (const [key, limitMs] of Object.entries(STARTUP_OVER_NODE_MS)) {
  if (summary.startupMs[key] === undefined) continue;
  const over = summary.startupMs[key] - summary.startupMs['node -e 0'];
  const name = key === 'complete: prefix' ? `completion: prefix at ${rowsLabel} entries` : key.replace('complete:', 'completion:');
  target(`${name}, over bare node`, over, limitMs, 'ms', over <= limitMs, `${fmtMs(summary.startupMs[key])} vs node -e 0 ${fmtMs(summary.startupMs['node -e 0'])}`);
}

// ---------------------------------------------------------------------------------------------
// Formatting

function fmtS(x) {
  if (x === undefined) return '—';
  return x < 1 ? `${x.toFixed(3)} s` : x < 10 ? `${x.toFixed(2)} s` : `${x.toFixed(1)} s`;
}
function fmtMs(x) {
  if (x === undefined) return '—';
  return x < 1 ? `${x.toFixed(3)} ms` : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`;
}
const fmtMiB = (x) => (x === undefined ? '—' : `${x.toFixed(0)} MiB`);
const fmtTarget = (t) => {
  const v = t.unit === '×' ? `${t.value.toFixed(2)}×` : t.unit === 's' ? fmtS(t.value) : t.unit === 'ms' ? fmtMs(t.value)
    : `${t.value.toFixed(0)} ${t.unit}`;
  const lim = t.unit === '×' ? `≤ ${t.limit.toFixed(2)}×` : t.unit === 'objects/s' ? `≥ ${t.limit} ${t.unit}` : t.name.startsWith('manifest') ? `< ${t.limit} ${t.unit}` : `≤ ${t.limit} ${t.unit}`;
  return { v, lim };
};

/** "5.78 s (1.18×)": value and ratio to the best peer's median of the same metric. */
function cell(scen, tool, metric, fmt) {
  const v = scen[tool]?.[metric];
  if (v === undefined) return '—';
  const best = bestPeer(scen, metric);
  return best ? `${fmt(v)} (${(v / best.value).toFixed(2)}×)` : fmt(v);
}

const smallLabel = `${config.smallCount.toLocaleString('en-US')} × ${config.smallKiB} KiB`;
const transferRows = [
  ['1 KiB get', 'wall', summary.get1k, 'wall', fmtS],
  [`${big} put`, 'wall', summary.bigPut, 'wall', fmtS],
  [`${big} put`, 'client CPU', summary.bigPut, 'cpu', fmtS],
  [`${big} put`, 'peak RSS', summary.bigPut, 'rssMiB', fmtMiB],
  [`${big} get`, 'wall', summary.bigGet, 'wall', fmtS],
  [`${big} get`, 'client CPU', summary.bigGet, 'cpu', fmtS],
  [`${big} get`, 'peak RSS', summary.bigGet, 'rssMiB', fmtMiB],
  [`${smallLabel} up`, 'wall', summary.smallUp, 'wall', fmtS],
  [`${smallLabel} up`, 'client CPU', summary.smallUp, 'cpu', fmtS],
  [`${smallLabel} down`, 'wall', summary.smallDown, 'wall', fmtS],
  [`${smallLabel} down`, 'client CPU', summary.smallDown, 'cpu', fmtS],
  [`sync ${syncLabel}: first`, 'wall', summary.syncFirst, 'wall', fmtS],
  [`sync ${syncLabel}: first`, 'client CPU', summary.syncFirst, 'cpu', fmtS],
  ['sync: no change', 'wall', summary.syncNoChange, 'wall', fmtS],
  ['sync: no change', 'client CPU', summary.syncNoChange, 'cpu', fmtS],
  ['sync: no change', 'peak RSS', summary.syncNoChange, 'rssMiB', fmtMiB],
  ['sync: 1 % changed', 'wall', summary.syncChanged, 'wall', fmtS],
];

function transferTable() {
  const lines = ['| scenario | metric | sse3 | aws-cli | rclone |', '| --- | --- | ---: | ---: | ---: |'];
  for (const [name, metric, scen, key, fmt] of transferRows) {
    lines.push(`| ${name} | ${metric} | ${TOOLS.map((t) => cell(scen, t, key, fmt)).join(' | ')} |`);
  }
  return lines.join('\n');
}

function targetTable() {
  const lines = ['| target | sse3 | limit | met | |', '| --- | ---: | ---: | :---: | --- |'];
  for (const t of targets) {
    const { v, lim } = fmtTarget(t);
    lines.push(`| ${t.name} | ${v} | ${lim} | ${t.met ? '✅' : '❌'} | ${t.note} |`);
  }
  return lines.join('\n');
}

function sse3OnlyTable() {
  const lines = ['| operation | wall | objects/s | client CPU | peak RSS |', '| --- | ---: | ---: | ---: | ---: |'];
  const scaleLabel = `${config.scaleCount.toLocaleString('en-US')} tiny objects`;
  for (const [name, scen, count] of [[`rotate one ${big} object`, summary.bigRotate, 1],
    [`rotate --recursive ${smallLabel}`, summary.smallRotate, config.smallCount],
    [`cp -r ${scaleLabel} up (writes and records them)`, summary.scaleFill, config.scaleCount],
    [`verify ${scaleLabel}`, summary.scaleVerify, config.scaleCount],
    [`rotate --fingerprint ${scaleLabel}`, summary.scaleRotate, config.scaleCount],
    [`verify ${scaleLabel} after the rotation`, summary.scaleVerifyAfter, config.scaleCount]]) {
    const s = scen.sse3;
    if (!s) continue;
    lines.push(`| ${name} | ${fmtS(s.wall)} | ${count > 1 ? Math.round(count / s.wall).toLocaleString('en-US') : '—'} | ${fmtS(s.cpu)} | ` +
      `${fmtMiB(s.rssMiB)} |`);
  }
  return lines.join('\n');
}

function manifestTable() {
  const m = summary.manifest;
  const lines = [`| at ${m.rows.toLocaleString('en-US')} entries | median | p95 | max |`, '| --- | ---: | ---: | ---: |'];
  lines.push(`| ManifestStore.record (add one entry) | ${fmtMs(m.addMs.median)} | ${fmtMs(m.addMs.p95)} | ${fmtMs(m.addMs.max)} |`);
  lines.push(`| ManifestStore.lookup (latest version) | ${fmtMs(m.lookupMs.median)} | ${fmtMs(m.lookupMs.p95)} | ${fmtMs(m.lookupMs.max)} |`);
  lines.push(`| new ManifestStore (open) | ${fmtMs(m.openMs.median)} | ${fmtMs(m.openMs.p95)} | ${fmtMs(m.openMs.max)} |`);
  const c = startup['complete: prefix'];
  lines.push(`| whole process: \`__complete bash 'sse3 get s3://bucket/some/prefix/'\` | ${fmtMs(c.median * 1000)} | — | ${fmtMs(c.max * 1000)} |`);
  return lines.join('\n');
}

function startupTable() {
  const base = startup['node -e 0'].median;
  const limits = Object.fromEntries(Object.entries(STARTUP_OVER_NODE_MS).map(([k, v]) => [k, `≤ node + ${v} ms`]));
  const lines = ['| command | median | mean ± σ | over `node -e 0` | target |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const [name, r] of Object.entries(startup)) {
    const d = (r.median - base) * 1000;
    const over = name === "node -e 0" ? "—" : `${d < 0 ? "−" : "+"}${Math.abs(d).toFixed(1)} ms`;
    lines.push(`| ${name} | ${fmtMs(r.median * 1000)} | ${(r.mean * 1000).toFixed(1)} ± ${(r.stddev * 1000).toFixed(1)} ms | ${over} | ${limits[name] ?? ''} |`);
  }
  return lines.join('\n');
}

const met = targets.filter((t) => t.met).length;
const headline = `${meta.mode === 'quick' ? 'Quick run' : 'Run'} of ${meta.date.slice(0, 10)} on ${meta.machine.nproc} cores ` +
  `(${meta.machine.cpu}), ${meta.machine.os}, Node ${meta.versions.node}; ${meta.versions['aws-cli'].split(' ')[0]}, ` +
  `${meta.versions.rclone}, ${meta.versions.ceph.replace(/ \(.*?\)/, '')} with memstore on the same machine. ` +
  `Medians of ${config.reps} repetition${config.reps === 1 ? '' : 's'} (1 KiB get: ${config.getRuns} hyperfine runs; ` +
  `start-up: ${config.startupRuns}); in brackets the ratio to the best peer. Load average at start ` +
  `${meta.machine.loadAtStart.join(' / ')}, at end ${meta.machine.loadAtEnd.join(' / ')}.`;

const md = `# sse3 benchmark results

${headline}

Every tool used the same SSE-C key: sse3 \`--key file:KEY\`, aws-cli \`--sse-c AES256 --sse-c-key fileb://KEY\`,
rclone \`--s3-sse-customer-algorithm AES256 --s3-sse-customer-key-base64 …\`. Each object written was checked to be
unreadable without the key and to report SSE-C AES256 with that key's MD5; each download was compared by SHA-256
with its source. Client CPU is user + system time of the tool's process; the server shares the same cores.

## Targets (${met} of ${targets.length} met)

${targetTable()}

## Transfers: sse3, aws-cli and rclone

${transferTable()}

## sse3 only: rotation and verify at scale

${sse3OnlyTable()}

## sync

Each tool syncs the same folder (${syncLabel}) to its own prefix with its own change detection: sse3 \`sync\`,
\`aws s3 sync\`, \`rclone sync\` (defaults, no \`--ignore-times\`). After the first sync every object is checked to be
SSE-C with the key (a sample of 200); after the 1 % change every changed file is read back and compared. A tool that
wrote anything in the no-change sync (listing ETag or LastModified changed): ${TOOLS.map((t) =>
  `${t} ${summary.syncChecks.rewroteInNoChange[t] ? 'yes' : 'no'}`).join(', ')}. sse3's no-change syncs sent
${summary.syncChecks.sse3PerObjectRequests} request(s) besides the listing pages (${summary.syncChecks.sse3ListRequests.join(', ')}).
Peak RSS of sse3's no-change sync of ${config.syncRssFiles.toLocaleString('en-US')} files: ${fmtMiB(summary.syncRss.sse3.rssMiB)}
(${fmtS(summary.syncRss.sse3.wall)}).

## Manifest at ${summary.manifest.rows.toLocaleString('en-US')} entries

Built in ${summary.manifest.buildSeconds} s (bulk insert on the store's schema); timings below are single calls
through \`dist/src/manifest/store.js\` in one process (${manifest.addMs.n} of each).

${manifestTable()}

## Start-up and completion (hyperfine, ${config.startupRuns} runs)

${startupTable()}

## Machine and versions

| | |
| --- | --- |
| CPU | ${meta.machine.nproc} × ${meta.machine.cpu} |
| memory | ${meta.machine.memGiB} GiB |
| OS / kernel | ${meta.machine.os} / ${meta.machine.kernel} |
| node | ${meta.versions.node} |
| sse3 | ${meta.versions.sse3} (${meta.versions.sse3Commit}) |
| aws-cli | ${meta.versions['aws-cli']} |
| rclone | ${meta.versions.rclone} |
| hyperfine | ${meta.versions.hyperfine} |
| server | ${meta.versions.ceph}, memstore, HTTPS on loopback |
| sizes | ${big}; ${smallLabel}; sync ${syncLabel}, no-change sync of ${config.syncRssFiles.toLocaleString('en-US')} files; ${summary.manifest.rows.toLocaleString('en-US')} manifest rows |

Chart: [chart.svg](chart.svg). Raw numbers: [results.json](results.json). Regenerate with \`npm run bench\`
(\`BENCH_QUICK=1\` for a quick run that leaves these files alone).
`;

// ---------------------------------------------------------------------------------------------
// Chart (hand-written SVG)

const COLORS = { sse3: '#2f6fb3', 'aws-cli': '#e8912d', rclone: '#4f9d4f', other: '#7a7a7a' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Axis step of 1, 2, 2.5 or 5 × 10^k giving about four gridlines. */
function niceStep(v) {
  if (!(v > 0)) return 1;
  const raw = v / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
const fmtVal = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const fmtTick = (v, step) => {
  const d = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (step / 10 ** Math.floor(Math.log10(step) + 1e-9) === 2.5 ? 1 : 0));
  return v.toFixed(Math.min(d, 4));
};

/** One chart panel: bars, gridlines, and dashed target lines named under the title. */
function panel(x, y, w, h, title, unit, bars, limits = []) {
  limits = limits.filter(Boolean);
  const top = 36 + (limits.length ? 12 : 0), bottom = 34, left = 40, right = 8;
  const ih = h - top - bottom, iw = w - left - right;
  const peak = Math.max(...bars.map((b) => b.value), ...limits.map((l) => l.value)) * 1.1;
  const step = niceStep(peak);
  const max = step * Math.max(1, Math.ceil(peak / step));
  const sy = (v) => y + top + ih - (v / max) * ih;
  const parts = [`<g>`, `<text x="${x + w / 2}" y="${y + 16}" text-anchor="middle" class="t">${esc(title)}</text>`,
    `<text x="${x + w / 2}" y="${y + 28}" text-anchor="middle" class="u">${esc(unit)}</text>`];
  if (limits.length) {
    parts.push(`<text x="${x + w / 2}" y="${y + 40}" text-anchor="middle" class="limt">${esc(`dashed: ${limits.map((l) => l.label).join(', ')}`)}</text>`);
  }
  for (let v = 0; v <= max + step / 1e6; v += step) {
    parts.push(`<line x1="${x + left}" x2="${x + w - right}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" class="g"/>`,
      `<text x="${x + left - 4}" y="${(sy(v) + 3).toFixed(1)}" text-anchor="end" class="a">${fmtTick(v, step)}</text>`);
  }
  const slot = iw / bars.length;
  const bw = Math.min(46, slot * 0.66);
  for (const l of limits) {
    parts.push(`<line x1="${x + left}" x2="${x + w - right}" y1="${sy(l.value).toFixed(1)}" y2="${sy(l.value).toFixed(1)}" class="lim"/>`);
  }
  bars.forEach((b, i) => {
    const cx = x + left + slot * (i + 0.5);
    const yTop = sy(b.value);
    parts.push(`<rect x="${(cx - bw / 2).toFixed(1)}" y="${yTop.toFixed(1)}" width="${bw.toFixed(1)}" height="${(y + top + ih - yTop).toFixed(1)}" fill="${b.color}"><title>${esc(`${b.label}: ${fmtVal(b.value)} ${unit}`)}</title></rect>`,
      `<text x="${cx}" y="${(yTop - 3).toFixed(1)}" text-anchor="middle" class="v">${fmtVal(b.value)}</text>`,
      `<text x="${cx}" y="${y + top + ih + 13}" text-anchor="middle" class="l">${esc(b.label)}</text>`);
    if (b.label2) parts.push(`<text x="${cx}" y="${y + top + ih + 25}" text-anchor="middle" class="l">${esc(b.label2)}</text>`);
  });
  parts.push('</g>');
  return parts.join('\n');
}

const toolBars = (scen, metric) => TOOLS.filter((t) => scen[t]?.[metric] !== undefined)
  .map((t) => ({ label: t, value: scen[t][metric], color: COLORS[t] }));
const peerLimit = (scen, metric, factor, text) => {
  const b = bestPeer(scen, metric);
  return b ? { value: b.value * factor, label: text } : undefined;
};

const PW = 200, PH = 220;
const panels = [
  [0, 0, 'Get 1 KiB', 's', toolBars(summary.get1k, 'wall'), [{ value: 0.12, label: 'target 0.12 s' }]],
  [1, 0, `Put ${big}`, 's wall', toolBars(summary.bigPut, 'wall'), [peerLimit(summary.bigPut, 'wall', 0.9, '0.9× best peer')]],
  [2, 0, `Get ${big}`, 's wall', toolBars(summary.bigGet, 'wall'), [peerLimit(summary.bigGet, 'wall', 0.9, '0.9× best peer')]],
  [3, 0, `Up ${smallLabel}`, 's wall', toolBars(summary.smallUp, 'wall')],
  [4, 0, `Down ${smallLabel}`, 's wall', toolBars(summary.smallDown, 'wall')],
  [0, 1, `Put ${big}`, 's client CPU', toolBars(summary.bigPut, 'cpu'), [peerLimit(summary.bigPut, 'cpu', 1, 'best peer')]],
  [1, 1, `Get ${big}`, 's client CPU', toolBars(summary.bigGet, 'cpu'), [peerLimit(summary.bigGet, 'cpu', 1, 'best peer')]],
  [2, 1, `Put ${big}`, 'MiB peak RSS', toolBars(summary.bigPut, 'rssMiB'), [{ value: 100, label: 'target 100 MiB' }]],
  [3, 1, `Get ${big}`, 'MiB peak RSS', toolBars(summary.bigGet, 'rssMiB'), [{ value: 100, label: 'target 100 MiB' }]],
  [4, 1, 'sse3 rotate', 's wall', [
    { label: big, label2: '1 object', value: summary.bigRotate.sse3.wall, color: COLORS.sse3 },
    { label: `${config.smallCount}`, label2: 'objects', value: summary.smallRotate.sse3.wall, color: COLORS.sse3 }]],
];
const startupBars = [
  ['node -e 0', 'node', '-e 0', COLORS.other], ['sse3 --version', '--version', '', COLORS.sse3], ['sse3 --help', '--help', '', COLORS.sse3],
  ['complete: commands', 'complete', 'commands', COLORS.sse3], ['complete: buckets', 'complete', 'buckets', COLORS.sse3],
  ['complete: prefix', 'complete', `prefix (${rowsLabel})`, COLORS.sse3],
].map(([k, label, label2, color]) => ({ label, label2, value: summary.startupMs[k], color }));
const manifestBars = [
  { label: 'add', value: manifest.addMs.median, color: COLORS.sse3 },
  { label: 'lookup', value: manifest.lookupMs.median, color: COLORS.sse3 },
  { label: 'open', value: manifest.openMs.median, color: COLORS.other },
];

const syncPanels = [
  [0, 3, 'sync: first', 's wall', toolBars(summary.syncFirst, 'wall'), [peerLimit(summary.syncFirst, 'wall', 0.9, '0.9× best peer')]],
  [1, 3, 'sync: no change', 's wall', toolBars(summary.syncNoChange, 'wall'), [peerLimit(summary.syncNoChange, 'wall', 0.8, '0.8× best peer')]],
  [2, 3, 'sync: 1 % changed', 's wall', toolBars(summary.syncChanged, 'wall')],
  [3, 3, 'sync: no change', 'MiB peak RSS', toolBars(summary.syncNoChange, 'rssMiB')],
  [4, 3, `sse3 no-change sync`, `MiB peak RSS, ${config.syncRssFiles} files`,
    [{ label: 'sse3', value: summary.syncRss.sse3.rssMiB, color: COLORS.sse3 }], [{ value: 150, label: 'target 150 MiB' }]],
];
const width = PW * 5 + 20, height = PH * 4 + 70;
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
  `<style>.t{font-size:12px;font-weight:bold;fill:#222}.u{font-size:10px;fill:#666}.a{font-size:9px;fill:#888}.v{font-size:9px;fill:#222}` +
  `.l{font-size:10px;fill:#333}.g{stroke:#e4e4e4;stroke-width:1}.lim{stroke:#c0392b;stroke-width:1.2;stroke-dasharray:4 3}` +
  `.limt{font-size:9px;fill:#c0392b}.h{font-size:14px;font-weight:bold;fill:#111}.s{font-size:10px;fill:#555}</style>`,
  `<rect width="100%" height="100%" fill="#fff"/>`,
  `<text x="10" y="20" class="h">sse3 vs aws-cli vs rclone, SSE-C on local Ceph RGW (lower is better)</text>`,
  `<text x="10" y="36" class="s">${esc(`${meta.date.slice(0, 10)}, ${meta.machine.nproc} cores, ${meta.mode} run, medians of ${config.reps}; dashed red: target`)}</text>`,
  ...TOOLS.map((t, i) => `<rect x="${width - 250 + i * 80}" y="12" width="10" height="10" fill="${COLORS[t]}"/><text x="${width - 236 + i * 80}" y="21" class="l">${t}</text>`),
  ...[...panels, ...syncPanels].map(([cx, cy, title, unit, bars, limit]) => panel(10 + cx * PW, 50 + cy * PH, PW, PH, title, unit, bars, limit)),
  panel(10, 50 + 2 * PH, PW * 3, PH, 'Start-up and completion', 'ms, whole process', startupBars,
    [{ value: startup['node -e 0'].median * 1000 + 15, label: 'completion target node + 15 ms' },
      { value: startup['node -e 0'].median * 1000 + 25, label: '--help target node + 25 ms' }]),
  panel(10 + 3 * PW, 50 + 2 * PH, PW * 2, PH, `Manifest at ${rowsLabel} entries`, 'ms per call (median)', manifestBars, [{ value: 5, label: 'target 5 ms' }]),
  '</svg>',
].join('\n');

// ---------------------------------------------------------------------------------------------
// Write

mkdirSync(outDir, { recursive: true });
const results = { meta, summary, targets, raw: { runs, get1k: hfGet.results, startup: hfStartup.results, manifestBuild, manifest, store, syncChecks } };
writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(outDir, 'results.md'), md);
writeFileSync(join(outDir, 'chart.svg'), svg + '\n');

if (updateReadme === '1') {
  const START = '<!-- bench:start -->', END = '<!-- bench:end -->';
  const readme = readFileSync('README.md', 'utf8');
  const a = readme.indexOf(START), b = readme.indexOf(END);
  if (a === -1 || b < a) {
    console.error('report: README.md has no bench markers; left unchanged');
  } else {
    const block = `${START}\n${headline}\n\n${transferTable()}\n\n${targetTable()}\n\nDetails, rotation, manifest and start-up figures: ` +
      `[bench/results/results.md](bench/results/results.md); chart: [bench/results/chart.svg](bench/results/chart.svg). ` +
      `Run \`npm run bench\` to measure again.\n${END}`;
    writeFileSync('README.md', readme.slice(0, a) + block + readme.slice(b + END.length));
  }
}

// Short summary for the terminal.
const lines = [`sse3 benchmark (${meta.mode}) — ${met}/${targets.length} targets met`];
for (const [name, metric, scen, key, fmt] of transferRows.filter((r) => r[1] === 'wall')) {
  lines.push(`  ${`${name} ${metric}`.padEnd(26)} ${TOOLS.map((t) => `${t} ${cell(scen, t, key, fmt)}`).join('  ')}`);
}
for (const t of targets) {
  const { v, lim } = fmtTarget(t);
  lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${v} (${lim})${t.note ? `; ${t.note}` : ''}`);
}
lines.push(`  results: ${join(outDir, 'results.md')}`);
console.log(lines.join('\n'));
