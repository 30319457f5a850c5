#!/usr/bin/env node
// Launcher: keep it tiny, it runs on every TAB completion.
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';

/** The oldest Node.js sse3 runs on (package.json's engines.node): the first with node:sqlite unflagged. */
const NODE_NEEDED = [22, 13];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NODE_NEEDED[0] || (major === NODE_NEEDED[0] && minor < NODE_NEEDED[1])) {
  // Said before anything of sse3 loads: on an older Node that would fail with an error about a module instead.
  process.stderr.write(`error: sse3 needs Node.js ${NODE_NEEDED.join('.')} or newer, and ${process.execPath} is Node.js ` +
    `${process.versions.node}: install Node.js 24 LTS (or 22.13+) and run sse3 with it\n`);
  process.exit(1);
}

if ((process.argv[2] === '--version' || process.argv[2] === '-V') && process.argv.length === 3) {
  // Asked by scripts and installers: answered from package.json, with nothing of the CLI loaded.
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  try {
    writeSync(1, `${version}\n`);
  } catch (e) {
    // A reader that went away ends sse3 as it ends every command: exit 141, as a shell reports SIGPIPE.
    if (e?.code !== 'EPIPE') throw e;
    process.exitCode = 141;
  }
  process.exit();
}

/**
 * The folder for Node's compile cache (Node >= 22.1), which makes every later start faster. Not Node's default:
 * that is a predictable folder in the shared temporary folder, which another user can create first and fill with
 * code that Node would then run as this user. sse3's own folder is under the user's cache home, created 0700, and
 * used only when lstat shows a real folder of this user that nobody else can write to; otherwise there is none.
 */
function privateCacheFolder() {
  const xdg = process.env.XDG_CACHE_HOME;
  const folder = `${xdg?.startsWith('/') ? xdg : `${homedir()}/.cache`}/sse3`;
  let st = lstatSync(folder, { throwIfNoEntry: false });
  if (st === undefined) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    st = lstatSync(folder);
  }
  if (!st.isDirectory()) return undefined;
  // Without uids (Windows) the folder is in the user's own profile, private by its access list.
  const uid = process.getuid?.();
  if (uid !== undefined && (st.uid !== uid || (st.mode & 0o022) !== 0)) return undefined;
  return currentCache(`${folder}/compile-cache`);
}

/**
 * The cache of this Node and this installed bundle, in a folder of its own named after both (a new install of sse3
 * replaces dist/bundle, whose inode and time then change). Node keys its entries by file path, so the entries of an
 * old bundle or another Node would never be used again: when this folder is new, every other one is removed.
 */
function currentCache(caches) {
  const bundle = lstatSync(new URL('../dist/bundle', import.meta.url));
  const folder = `${caches}/${process.version}-${process.arch}-${bundle.ino.toString(36)}-${Math.trunc(bundle.mtimeMs).toString(36)}`;
  if (lstatSync(folder, { throwIfNoEntry: false })?.isDirectory()) return folder;
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const current = folder.slice(caches.length + 1);
  for (const other of readdirSync(caches)) if (other !== current) rmSync(`${caches}/${other}`, { recursive: true, force: true });
  return folder;
}

if (typeof module.enableCompileCache === 'function') {
  try {
    const folder = privateCacheFolder();
    if (folder !== undefined) module.enableCompileCache(folder);
  } catch { /* no home or cache folder that can be written: start without the cache */ }
}
if (process.argv[2] === '__complete') {
  // Answered on every TAB: skip Commander and everything else the CLI loads.
  const { runCompletion } = await import('../dist/bundle/complete.js');
  process.exitCode = await runCompletion(process.argv.slice(3), new URL('../dist/completion-spec.json', import.meta.url));
} else {
  const { main } = await import('../dist/bundle/cli.js');
  process.exitCode = await main(process.argv);
}
