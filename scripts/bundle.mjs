// Bundles the CLI so a start reads a few files instead of hundreds: start-up time is
// dominated by module loading. Commands are split into chunks loaded when used;
// only native addons stay outside.
import { renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Built beside the old bundle and swapped in, so a running sse3 never sees a half-written one.
const next = `dist/bundle.${process.pid}`;
rmSync(next, { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src/cli.ts', complete: 'src/completion/complete.ts' },
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // The AWS SDK's ES module build: named exports survive bundling and unused code can be dropped.
  mainFields: ['module', 'main'],
  target: 'node20',
  // Native addons cannot be bundled; everything else, the AWS SDK included, loads faster from a few files.
  external: ['better-sqlite3', '@napi-rs/keyring'],
  // Bundled CommonJS dependencies (commander, cli-progress) call require().
  banner: { js: "import { createRequire as __sse3Require } from 'node:module'; const require = __sse3Require(import.meta.url);" },
  logLevel: 'warning',
});
rmSync('dist/bundle.old', { recursive: true, force: true });
try {
  renameSync('dist/bundle', 'dist/bundle.old');
} catch {
  // first build
}
renameSync(next, 'dist/bundle');
rmSync('dist/bundle.old', { recursive: true, force: true });
