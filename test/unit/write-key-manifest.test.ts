// A write without --key reads the default key of its target from the command's manifest, before any request, and the
// session that then writes works with that same store: the manifest is opened once per command (HomeManifest), and
// the session leaves closing it to the command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HomeManifest } from '../../src/core/session/home-manifest.js';
import { sessionOver } from '../../src/core/session/session.js';
import { resolveWriteKeys } from '../../src/core/session/write-key.js';
import { loadKey } from '../../src/keys/sources.js';
import { endpointIdentityFor } from '../../src/s3/client.js';
import { S3Twin } from '../support/s3-twin.js';
import { tempDir } from '../support/tempdir.js';

test('the default key of a write is read from the manifest its session then works with, opened once', async (t) => {
  // The home sse3Paths() names holds no manifest: the defaults can only come from the store handed in.
  process.env.SSE3_HOME = tempDir('sse3-unit-home-');
  const elsewhere = tempDir('sse3-unit-manifest-');
  const keyPath = join(elsewhere, 'default.key');
  writeFileSync(keyPath, randomBytes(32).toString('base64'), { mode: 0o600 });
  const key = await loadKey({ kind: 'file', path: keyPath });
  const g = { endpointUrl: `https://defaults-${process.pid}.example` };
  const endpoint = await endpointIdentityFor(g, {});
  const manifest = new HomeManifest(join(elsewhere, 'manifest.db'));
  t.after(() => manifest.close());
  manifest.store.setKeyDefault({ endpoint, bucket: 'b', prefix: 'in/', ref: `file:${keyPath}`, fingerprint: key.fingerprint,
    setAt: new Date().toISOString() });
  const store = manifest.store;

  const wk = (await resolveWriteKeys(undefined, {}, { bucket: 'b', key: 'in/x' }, g, manifest)).for('in/x');
  assert.deepEqual([wk.key.fingerprint, wk.ref, wk.defaultOf], [key.fingerprint, `file:${keyPath}`, 's3://b/in/']);
  assert.equal(manifest.store, store, 'reading the defaults kept the store open');

  const twin = new S3Twin({ endpoint });
  const s = await sessionOver(twin.connection(), { signal: new AbortController().signal, out: { warn: assert.fail } },
    { writing: [wk.key], manifest });
  assert.equal(s.manifest, store, 'the session works with the store the defaults were read from');
  s.close();
  // Still open after the session (it is the command's to close), and it holds what the session remembered on closing.
  assert.ok(store.keyRefs(key.fingerprint).some((r) => r.ref === `file:${keyPath}`), 'the key the write used is remembered');
  manifest.close();
  manifest.close();
});
