// Bundles the CLI so a start reads a few files instead of hundreds: start-up time is
// dominated by module loading. Commands are split into chunks loaded when used;
// only native addons stay outside.
import { renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Built beside the old bundle and swapped in, so a running sse3 never sees a half-written one.
const next = `dist/bundle.${process.pid}`;
rmSync(next, { recursive: true, force: true });

// SSE3_FAULT_HOOKS=1 (scripts/test.sh) builds in the reliability tests' fault points (src/faults.ts); the
// shipped build (npm run build, run by npm pack) leaves them out.
const faultHooks = process.env.SSE3_FAULT_HOOKS === '1';

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  // The AWS SDK's ES module build: named exports survive bundling and unused code can be dropped.
  mainFields: ['module', 'main'],
  target: 'node22',
  // Bundled CommonJS dependencies (commander, cli-progress) call require().
  banner: { js: "import { createRequire as __sse3Require } from 'node:module'; const require = __sse3Require(import.meta.url);" },
  logLevel: 'warning',
  define: { SSE3_FAULT_HOOKS: String(faultHooks) },
};

// src/s3/lean-deps.ts (the config file reader and the SigV4 signer) is built on its own,
// tree-shaken: in the split build below it would share chunks with the SDK client and load ~250 KB of them on every
// request. With it on its own, a 1 KiB get loads 19 of the bundle's files (about 423 KB of JavaScript), none of them
// the SDK client's.
const LEAN_DEPS = 'lean-deps.js';
await build({ ...common, entryPoints: { 'lean-deps': 'src/s3/lean-deps.ts' }, outdir: next });

await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts', complete: 'src/completion/complete.ts' },
  outdir: next,
  splitting: true,
  // Native addons cannot be bundled; everything else, the AWS SDK included, loads faster from a few files.
  external: ['@napi-rs/keyring'],
  plugins: [{
    name: 'lean-deps',
    // Every chunk lands in the same folder as lean-deps.js.
    setup: (b) => b.onResolve({ filter: /\/lean-deps\.js$/ }, () => ({ path: `./${LEAN_DEPS}`, external: true })),
  }],
});
rmSync('dist/bundle.old', { recursive: true, force: true });
try {
  renameSync('dist/bundle', 'dist/bundle.old');
} catch {
  // first build
}
renameSync(next, 'dist/bundle');
rmSync('dist/bundle.old', { recursive: true, force: true });
