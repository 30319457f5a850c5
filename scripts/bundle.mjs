// Bundles the CLI so a start reads a few files instead of dozens: start-up time is
// dominated by module loading. Native and heavy packages stay external and are
// loaded lazily by the commands that need them.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src/cli.ts', complete: 'src/completion/complete.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@aws-sdk/*', '@smithy/*', 'better-sqlite3', '@napi-rs/keyring'],
  // Bundled CommonJS dependencies (commander, cli-progress) call require().
  banner: { js: "import { createRequire as __sse3Require } from 'node:module'; const require = __sse3Require(import.meta.url);" },
  logLevel: 'warning',
});
