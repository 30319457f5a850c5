import { dirname, resolve } from 'node:path';
import { namesVersion } from '../s3/version.js';
import { formatScope } from '../core/session/scope.js';
import { type KeyUse, type ScannedVersion, type UsageScan, usesOf } from '../core/scans/usage.js';
import { formatS3Url } from '../s3/url.js';
import type { Rendered } from './batch.js';
import type { Output } from './output.js';

// The keys commands' results in their two forms (see render.ts): keys list, keygen, keys import, keys usage.

export interface KeyListing {
  keyDir: string;
  /** objects: recorded object versions under the key; null when the manifest could not be read. */
  keys: Array<{ ref: string; fingerprint: string; objects: number | null }>;
  problems: string[];
}

/** sse3 keys list: each key's reference, fingerprint and how many recorded object versions need it. */
export function renderKeyList(out: Output, l: KeyListing): Rendered {
  const width = Math.max(0, ...l.keys.map((k) => k.ref.length));
  return {
    line: l.keys.length
      ? l.keys.map((k) => `${k.ref.padEnd(width)}  ${out.c.cyan(k.fingerprint)}  ` +
        (k.objects === null ? 'recorded object versions unknown' : `${k.objects} recorded object version(s)`))
      // An empty list says so on stderr: stdout holds only keys.
      : [`no keys found (key folder ${l.keyDir}, SSE3_KEY, keychain service sse3)${l.problems.length
        ? `; ${l.problems.length} source(s) could not be read (see the warning(s) above)` : ''}`],
    json: { ok: true, keyDir: l.keyDir, keys: l.keys, problems: l.problems },
    kind: l.keys.length ? 'result' : 'note',
  };
}

/** A key stored by keygen or keys import: where, its fingerprint; `format` is how an imported key was written. */
export interface StoredKey {
  ref: string;
  kind: 'file' | 'keychain';
  fingerprint: string;
  /** The key folder, which get, head, verify and adopt search by themselves. */
  keyDir: string;
  format?: string;
}

export function renderKeygen(out: Output, k: StoredKey): Rendered {
  const lines = [`${out.c.green('✓')} new key ${out.c.bold(k.ref)}`, `  fingerprint ${out.c.cyan(k.fingerprint)}`];
  const backup = k.kind === 'file' ? 'back it up: an object encrypted with this key cannot be read without it'
    : 'back it up: an object encrypted with this key cannot be read without it, and this keychain entry is its only copy; ' +
      `sse3 keys export ${k.ref} --to file:PATH writes a copy (mode 0600) to keep somewhere safe`;
  lines.push(out.c.dim(`  ${backup}`), out.c.dim(`  ${whatFindsIt(k)}`));
  return { line: lines, json: { ok: true, ref: k.ref, fingerprint: k.fingerprint }, kind: 'done' };
}

export function renderKeyImported(out: Output, k: StoredKey): Rendered {
  const lines = [`${out.c.green('✓')} imported key ${out.c.bold(k.ref)} (${k.format})`, `  fingerprint ${out.c.cyan(k.fingerprint)}`,
    out.c.dim(`  ${whatFindsIt(k)}`)];
  return { line: lines, json: { ok: true, ref: k.ref, fingerprint: k.fingerprint, format: k.format }, kind: 'done' };
}

/**
 * Which commands find a stored key by themselves: those that look for a key (get, head, verify, adopt) search the key
 * folder and the keychain; a key file elsewhere must be named with --key.
 */
function whatFindsIt(k: StoredKey): string {
  if (k.kind === 'keychain') return `get, head, verify and adopt find keychain keys by themselves; put, cp and sync need --key ${k.ref}`;
  const path = resolve(k.ref.slice('file:'.length));
  if (dirname(path) === resolve(k.keyDir)) return `get, head, verify and adopt find keys in ${k.keyDir} by themselves; others need --key ${k.ref}`;
  return `it is outside the key folder: every command needs --key file:${path} (or move it into ${k.keyDir}, where get, head, ` +
    'verify and adopt find keys by themselves)';
}

const counted = (u: KeyUse, versions: boolean) => (versions ? `${u.objects} object(s), ${u.versions} version(s)` : `${u.objects} object(s)`);

/** With keys usage FP: one object version that needs the key, as it is found. */
export function renderKeyNeededBy(v: ScannedVersion, fingerprint: string): Rendered {
  const url = formatS3Url(v);
  return {
    line: `${url}${namesVersion(v.versionId) ? `  version ${v.versionId}${v.isLatest ? ' (current)' : ''}` : ''}`,
    json: { ok: true, url, bucket: v.bucket, key: v.key, versionId: v.versionId || null, isLatest: v.isLatest, size: v.size, fingerprint },
  };
}

function usageOfOne(fp: string, u: KeyUse, all: boolean, available: boolean): string {
  const where = available ? '' : ' (the key is NOT available here)';
  if (u.versions === 0) {
    return `no ${all ? 'object version' : 'current object'} in these scopes needs key ${fp}${where}` +
      (all ? '' : '; older versions may: add --versions');
  }
  return `key ${fp} is needed by ${counted(u, all)}${where}`;
}

/** With --versions: how the older versions that need a key stop needing it (rotate moves current versions only). */
function olderOnes(fp: string, u: KeyUse, all: boolean, scopes: string[]): string[] {
  const older = u.versions - u.objects;
  if (!all || older <= 0) return [];
  const scope = scopes.length === 1 ? scopes[0] : 's3://BUCKET';
  return [`${older} of them are older versions (not current): sse3 rm ${scope} --recursive --noncurrent --fingerprint ${fp} deletes ` +
    'them (copy out one to keep first: sse3 cp URL --version-id V DEST)'];
}

/**
 * sse3 keys usage: the keys the scanned objects need, most used first, and what could not be told; with a
 * fingerprint, how many versions need that key. `here`: the fingerprints of the keys this machine has.
 */
export function renderKeyUsage(out: Output, scan: UsageScan, here: Set<string>, fingerprint?: string)
  : { line: string[]; json: Record<string, unknown> } {
  const all = scan.allVersions;
  const keys = [...scan.byFingerprint].sort((a, b) => b[1].versions - a[1].versions || a[0].localeCompare(b[0]))
    .map(([fp, u]) => ({ fingerprint: fp, objects: u.objects, versions: u.versions, availableHere: here.has(fp) }));
  const scopes = scan.scopes.map(formatScope);
  const json = { ok: scan.unreadable.versions === 0, scopes, versions: all, scanned: scan.scanned, keys,
    untagged: scan.untagged, plain: scan.plain, unreadable: scan.unreadable,
    ...(fingerprint !== undefined ? { fingerprint, needed: usesOf(scan, fingerprint), availableHere: here.has(fingerprint) } : {}) };
  const lines = fingerprint !== undefined ? [usageOfOne(fingerprint, usesOf(scan, fingerprint), all, here.has(fingerprint)),
    ...olderOnes(fingerprint, usesOf(scan, fingerprint), all, scopes)]
    : keys.map((k) => `${out.c.cyan(k.fingerprint)}  ${counted(k, all)}  ${k.availableHere ? 'key available here' : out.c.yellow('key NOT available here')}`);
  lines.push(`${scan.scanned} object version(s) read in ${scopes.join(' ')}`);
  if (scan.untagged.versions) lines.push(`${counted(scan.untagged, all)} with no sse3-fp tag: their key is unknown (adopt them first: sse3 adopt s3://BUCKET --key REF)`);
  if (scan.plain.versions) lines.push(`${counted(scan.plain, all)} not encrypted (plain): they need no key`);
  if (scan.unreadable.versions) lines.push(`${counted(scan.unreadable, all)} whose tags could not be read: they may need any key`);
  return { line: lines, json };
}
