// A Session over the in-memory S3 twin, for unit tests of core code that works through one (heal, verify, sync's
// per-path steps, ls rows): the manifest in memory, and exactly the keys a test hands it.
import type { SseCKey } from '../../src/keys/key.js';
import { MemoryKeychain } from '../../src/keys/keychain.js';
import { ManifestStore } from '../../src/manifest/store.js';
import type { Connection } from '../../src/s3/client.js';
import type { Session } from '../../src/core/session/session.js';

/** `keys`: what findKey finds (and allKeys lists); `given`: keys as if passed with --key. */
export function twinSession(conn: Connection, keys: SseCKey[] = [], given: SseCKey[] = []): Session {
  const manifest = new ManifestStore(':memory:');
  const all = [...given, ...keys];
  return {
    conn, manifest,
    paths: { dataDir: '/nonexistent/sse3-twin-session', manifestFile: ':memory:', keyDir: '/nonexistent/sse3-twin-session/keys' },
    keys: { env: {}, keychain: new MemoryKeychain() },
    signal: new AbortController().signal,
    givenKeys: given,
    findKey: async (fingerprint) => all.find((k) => k.fingerprint === fingerprint),
    allKeys: async () => all.map((key) => ({ ref: key.source, key })),
    keyProblems: () => [],
    lastSeen: () => undefined,
    keyUsed: () => undefined,
    close: () => manifest.close(),
  };
}

/** A connection whose HEAD answers are changed by `alter` before sse3 sees them, as a misbehaving server's would be. */
export function alteredHeads(conn: Connection, alter: (answer: Record<string, unknown>) => Record<string, unknown>): Connection {
  const { objects } = conn;
  return { ...conn, objects: { ...objects, headObject: async (input, opts) => alter({ ...(await objects.headObject(input, opts)) }) } };
}
