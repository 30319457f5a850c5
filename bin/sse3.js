#!/usr/bin/env node
// Launcher: keep it tiny. Compile cache (Node >= 22.1) makes every later start faster.
import module from 'node:module';
if (typeof module.enableCompileCache === 'function') {
  try { module.enableCompileCache(); } catch { /* cache dir not writable: start without it */ }
}
if (process.argv[2] === '__complete') {
  // Answered on every TAB: skip Commander and everything else the CLI loads.
  const { runCompletion } = await import('../dist/bundle/complete.js');
  process.exitCode = await runCompletion(process.argv.slice(3), new URL('../dist/completion-spec.json', import.meta.url));
} else {
  const { main } = await import('../dist/bundle/cli.js');
  process.exitCode = await main(process.argv);
}
