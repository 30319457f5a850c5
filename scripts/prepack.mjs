// npm's `prepack` script: builds dist/ before `npm pack` / `npm publish`, which pack the build and not the sources.
// Not `prepare`: npm runs that one on installs too, and a package that carries one is reported (and, by newer npm,
// refused) as having an install script. A fresh clone has none of the build tools yet: they are installed first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const needed = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
const missing = needed.filter((name) => !existsSync(`node_modules/${name}/package.json`));

/** Runs npm (the one running this script when there is one) and exits if it fails. */
function npm(args) {
  const cli = process.env.npm_execpath;
  const r = cli && /\.[cm]?js$/.test(cli)
    ? spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' })
    : spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (missing.length > 0) {
  console.error(`sse3 prepack: installing this folder's dependencies first (npm ci; missing: ${missing.join(', ')})`);
  npm(['ci', '--no-audit', '--no-fund']);
}
npm(['run', 'build']);
