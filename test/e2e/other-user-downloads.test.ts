// Another local user (test/e2e/other-user.ts) and what a download writes to: they must not receive the plaintext
// through a FIFO or device, redirect it through a link onto the user's own files, read it while it is written, or have
// sse3 delete their files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync }
  from 'node:fs';
import { join } from 'node:path';
import { ok, run, stoppedAt } from './harness.js';
import { asOther, modeOf, needsOtherUser, OTHER, place, readAsOther, withObject } from './other-user.js';

const skip = needsOtherUser;

test('get and cp never write into a FIFO another user made in a shared folder: that user receives nothing', { skip }, async (t) => {
  const { home, url } = await withObject();
  const { shared } = place();
  const fifo = join(shared, 'out.bin');
  assert.equal(asOther(['mkfifo', fifo]).status, 0);
  for (const command of ['get', 'cp']) {
    const received = readAsOther(fifo);
    const r = await run([command, url, fifo], { home });
    assert.equal((await received()).length, 0, `${command}: the other user received nothing`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: ${fifo} is a FIFO owned by uid ${OTHER}, not by you \\(root, uid 0\\): sse3 writes ` +
      'into a FIFO or device, or through a symbolic link, only when it is yours \\(another user may have put it there'));
    assert.match(r.stderr, /\nhint: remove it if you did not make it, or choose another destination\n$/);
    assert.ok(lstatSync(fifo).isFIFO());
  }
});

test('a link another user made in a shared folder is not followed onto the user\'s own file (get, cp, cp -r, sync)', { skip }, async (t) => {
  const { home, bucket, url } = await withObject();
  const { dir, shared } = place();
  mkdirSync(join(dir, 'mine'));
  const precious = join(dir, 'mine', 'notes.txt');
  writeFileSync(precious, 'precious');
  const link = join(shared, 'out.bin');
  assert.equal(asOther(['ln', '-s', precious, link]).status, 0);
  for (const args of [['get', url, link], ['cp', url, link], ['cp', '-r', `s3://${bucket}/t/`, shared], ['sync', `s3://${bucket}/t/`, shared]]) {
    const r = await run(args, { home });
    assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr + r.out, args[0] === 'sync' ? /out\.bin: symbolic link \(not followed\); not replaced/
      : new RegExp(`${link} is a symbolic link owned by uid ${OTHER}, not by you`));
    assert.equal(readFileSync(precious, 'utf8'), 'precious', `${args.join(' ')} left the user's file alone`);
    assert.ok(lstatSync(link).isSymbolicLink());
  }
  assert.deepEqual(readdirSync(shared), ['out.bin'], 'nothing else was written there');
});

test('another user\'s device is refused anywhere; the user\'s own FIFO or link in a world-writable folder too', { skip }, async (t) => {
  const { home, url } = await withObject();
  const { dir, shared } = place();
  // A terminal of the other user's, say: made here with /dev/null's numbers, so nothing could be written anywhere.
  mkdirSync(join(dir, 'private'));
  const device = join(dir, 'private', 'tty');
  execFileSync('mknod', [device, 'c', '1', '3']);
  chownSync(device, OTHER, OTHER);
  const d = await run(['get', url, device], { home });
  assert.equal(d.code, 2, d.stderr);
  assert.match(d.stderr, new RegExp(`^error: ${device} is a character device owned by uid ${OTHER}, not by you`));
  // Through the user's own link the device is still the other user's.
  symlinkSync(device, join(dir, 'private', 'to-tty'));
  const l = await run(['get', url, join(dir, 'private', 'to-tty')], { home });
  assert.equal(l.code, 2, l.stderr);
  assert.match(l.stderr, new RegExp(`^error: ${dir}/private/to-tty \\(through ${device}\\) is a character device owned by uid ${OTHER}`));

  // In /tmp (sticky) or in a folder opened to all without the sticky bit, anyone could have put it there.
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  for (const folder of [shared, open]) {
    const fifo = join(folder, 'mine');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(join(dir, 'private', 'target'), join(folder, 'my-link'));
    for (const [path, what] of [[fifo, 'FIFO'], [join(folder, 'my-link'), 'symbolic link']]) {
      const r = await run(['get', url, path], { home });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: ${path} is a ${what} in ${folder}, a folder every user can write to \\(as /tmp\\): ` +
        'sse3 never writes through one there, since anyone could have put it there\nhint: download to a regular file there'));
    }
  }
  assert.equal(existsSync(join(dir, 'private', 'target')), false);
});

test('a FIFO swapped for another user\'s between the check and the open is not written to (the opened one is checked)', { skip },
  async (t) => {
    const { home, url } = await withObject();
    const { dir } = place();
    // A folder the other user may write to through their group, without the sticky bit: they can replace what is in it.
    const team = join(dir, 'team');
    mkdirSync(team);
    chownSync(team, 0, OTHER);
    chmodSync(team, 0o770);
    const fifo = join(team, 'out');
    const theirs = join(team, 'theirs');
    assert.equal(asOther(['mkfifo', theirs]).status, 0);
    // The other user replaces the user's FIFO with one of their own, or with a link to theirs.
    for (const swap of [['mkfifo', fifo], ['ln', '-s', theirs, fifo]]) {
      rmSync(fifo, { force: true });
      execFileSync('mkfifo', [fifo]);
      const get = await stoppedAt(t, 'device-open', home, ['get', url, fifo]);
      assert.equal(asOther(['rm', fifo]).status, 0);
      assert.equal(asOther(swap).status, 0);
      const received = readAsOther(swap[0] === 'mkfifo' ? fifo : theirs);
      const { code, stderr } = await get.resume();
      assert.equal(code, 2, stderr);
      assert.equal(stderr, `error: ${fifo} was replaced by something else while sse3 opened it; nothing was written to it\n` +
        'hint: check who else can write to its folder, and try again\n');
      assert.equal((await received()).length, 0, `${swap[0]}: the other user received nothing`);
    }
  });

test('a download is never readable by another user, while it is written nor once finished (a new file is owner-only)', { skip }, async (t) => {
  const { home, url, data } = await withObject();
  const { shared } = place();
  const dest = join(shared, 'new.bin');
  // Stopped once every byte is in the temporary file, before it is checked and renamed.
  const get = await stoppedAt(t, 'download-written', home, ['get', url, dest]);
  const [temp] = readdirSync(shared);
  assert.equal(statSync(join(shared, temp)).size, data.length, 'the plaintext is in the temporary file');
  const peek = asOther(['cat', join(shared, temp)]);
  assert.equal(peek.stdout.length, 0, 'the other user read nothing');
  assert.match(peek.stderr, /Permission denied/);
  assert.equal(modeOf(join(shared, temp)), '0600');
  const { code, stderr } = await get.resume();
  assert.equal(code, 0, stderr);
  assert.ok(readFileSync(dest).equals(data));
  assert.equal(modeOf(dest), (0o600 & ~process.umask()).toString(8).padStart(4, '0'), 'a new file is owner-only: 0600 less the umask');
  assert.equal(asOther(['cat', dest]).stdout.length, 0, 'the other user cannot read the finished file either');
});

test('stale temporary files are cleaned up only when they are the user\'s own, also in a folder without the sticky bit', { skip }, async (t) => {
  const { home, url } = await withObject();
  const { dir } = place();
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const dead = spawnSync('true').pid;
  const theirs = [`.report.sse3-${dead}-0123abcd.part`, `.sse3-${dead}-4567abcd.part`];
  for (const name of theirs) assert.equal(asOther(['touch', join(open, name)]).status, 0);
  const mine = [`.old.sse3-${dead}-89abcdef.part`, `.sse3-${dead}-0a0b0c0d.part`];
  for (const name of mine) writeFileSync(join(open, name), 'partial');
  await ok(['get', url, join(open, 'out.bin')], { home });
  assert.deepEqual(readdirSync(open).sort(), [...theirs, 'out.bin'].sort(), 'the other user\'s files stay, the user\'s own are gone');
});
