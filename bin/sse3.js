#!/usr/bin/env node
// Launcher: keep it tiny. Compile cache (Node >= 22.1) makes every later start faster.
import module from 'node:module';
if (typeof module.enableCompileCache === 'function') {
  try { module.enableCompileCache(); } catch { /* cache dir not writable: start without it */ }
}
const { main } = await import('../dist/src/cli.js');
process.exitCode = await main(process.argv);
