// npm's `prepare` script: builds dist/ before `npm pack` / `npm publish`, after `npm install` or `npm ci`
// in a clone, and for `npm install -g .` from a clone. That last one (npm 11) links the global `sse3` to
// this folder, runs `prepare` here and installs none of the folder's dependencies, so a fresh clone would
// have neither the build tools nor the native addons the linked CLI loads: those are installed first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const needed = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
const missing = needed.filter((name) => !existsSync(`node_modules/${name}/package.json`));

/** Runs npm (the one running this script when there is one) and exits if it fails. */
function npm(args, env = process.env) {
  const cli = process.env.npm_execpath;
  const r = cli && /\.[cm]?js$/.test(cli)
    ? spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', env })
    : spawnSync('npm', args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (missing.length > 0) {
  if (process.env.SSE3_PREPARE_INSTALLING) {
    console.error(`sse3 prepare: still missing after npm ci: ${missing.join(', ')}`);
    process.exit(1);
  }
  console.error(`sse3 prepare: installing this folder's dependencies first (npm ci; missing: ${missing.join(', ')})`);
  // A global install hands its own settings to scripts as npm_config_* variables: without these the
  // nested install would go to the global prefix instead of this folder.
  const env = { ...process.env, SSE3_PREPARE_INSTALLING: '1' };
  for (const name of Object.keys(env)) {
    if (/^npm_config_(global|global_prefix|local_prefix|prefix|location|globalconfig)$/i.test(name)) delete env[name];
  }
  // npm ci runs this script again, which then builds.
  npm(['ci', '--no-audit', '--no-fund'], env);
} else {
  npm(['run', 'build']);
}
