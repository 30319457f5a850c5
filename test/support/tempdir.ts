// Temporary folders for tests, removed when the test that made them ends (passed or failed), so a run of the suites
// leaves nothing behind in the temporary folder. SSE3_KEEP_TEST_DIRS=1 keeps them for a look afterwards and says
// where they are.
//
// The hooks below are registered on the test file's root when this module is first imported (statically, by the
// test file or a helper it imports): they then run around every test of the file, and around each subtest too.
// A count of the tests running tells when a top-level test (with all its subtests, which may run in parallel) has
// ended; top-level tests of a file run one after another. A folder made outside any test (at the top of a file, for
// all its tests) lives until the file's last test has ended.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, type SuiteContext, type TestContext } from 'node:test';

const keep = process.env.SSE3_KEEP_TEST_DIRS === '1';
let running = 0;
/** Folders of the top-level test running now (and of its subtests). */
const ofTest: string[] = [];
/** Folders made outside any test: the file's. */
const ofFile: string[] = [];

function removeAll(dirs: string[], t?: TestContext | SuiteContext): void {
  for (const dir of dirs.splice(0)) {
    if (keep) {
      const said = `SSE3_KEEP_TEST_DIRS=1: kept ${dir}`;
      if (t && 'diagnostic' in t) t.diagnostic(said);
      else process.stderr.write(`${said}\n`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

beforeEach(() => {
  running++;
});
afterEach((t) => {
  if (--running === 0) removeAll(ofTest, t);
});
after(() => {
  removeAll(ofTest);
  removeAll(ofFile);
});

/**
 * A new empty folder in the temporary folder (TMPDIR), named PREFIX + random characters, mode 0700. Removed with
 * everything in it when the test making it ends — or, made outside any test or with scope 'file' (for something a
 * test makes once and later tests of the file reuse), when the file's tests have all ended.
 */
export function tempDir(prefix: string, opts: { scope?: 'file' } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  (running > 0 && opts.scope !== 'file' ? ofTest : ofFile).push(dir);
  return dir;
}
