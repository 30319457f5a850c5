// Where sse3 keeps its manifest and key folder (README: Files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { sse3Paths } from '../../src/paths.js';

test('SSE3_HOME holds everything: the manifest and the key folder, whatever the XDG variables say', () => {
  assert.deepEqual(sse3Paths({ SSE3_HOME: '/srv/sse3', XDG_DATA_HOME: '/d', XDG_CONFIG_HOME: '/c' }),
    { dataDir: '/srv/sse3', manifestFile: '/srv/sse3/manifest.db', keyDir: '/srv/sse3/keys' });
});

test('without SSE3_HOME: the manifest under $XDG_DATA_HOME/sse3, keys under $XDG_CONFIG_HOME/sse3/keys', () => {
  assert.deepEqual(sse3Paths({ XDG_DATA_HOME: '/d', XDG_CONFIG_HOME: '/c' }),
    { dataDir: '/d/sse3', manifestFile: '/d/sse3/manifest.db', keyDir: '/c/sse3/keys' });
});

test('unset or empty variables fall back to ~/.local/share and ~/.config', () => {
  const defaults = { dataDir: join(homedir(), '.local/share/sse3'), manifestFile: join(homedir(), '.local/share/sse3/manifest.db'),
    keyDir: join(homedir(), '.config/sse3/keys') };
  assert.deepEqual(sse3Paths({}), defaults);
  assert.deepEqual(sse3Paths({ SSE3_HOME: '', XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' }), defaults);
  assert.deepEqual(sse3Paths({ XDG_CONFIG_HOME: '/c' }).dataDir, defaults.dataDir, 'each variable on its own');
});

test('the process environment by default', () => {
  assert.deepEqual(sse3Paths(), sse3Paths(process.env));
});
