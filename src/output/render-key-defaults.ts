import type { WriteKey } from '../core/session/write-key.js';
import type { KeyDefault } from '../manifest/store.js';
import { formatScope } from '../core/session/scope.js';
import type { Rendered } from './batch.js';
import type { Output } from './output.js';

// sse3 keys default in its two forms (see render.ts), and the line a write says when a default chose its key.

/** What a write without --key says of the default key it encrypts with: which key, and whose default it is. */
export const defaultKeyNote = (out: Output, wk: WriteKey): string =>
  `key ${out.c.cyan(wk.key.fingerprint)} (${wk.ref}): the default key of ${wk.defaultOf}`;

const defaultJson = (d: KeyDefault) => ({ scope: formatScope(d), endpoint: d.endpoint, ref: d.ref, fingerprint: d.fingerprint, setAt: d.setAt });

/** A default set: the scope, the key, and the one it replaced. */
export function renderDefaultSet(out: Output, d: KeyDefault, replaced: KeyDefault | undefined): Rendered {
  const was = replaced && replaced.fingerprint !== d.fingerprint ? ` (was ${replaced.ref}, key ${replaced.fingerprint})` : '';
  return {
    line: [`${out.c.green('✓')} default key of ${formatScope(d)}: ${out.c.bold(d.ref)}  key ${out.c.cyan(d.fingerprint)}${was}`,
      out.c.dim(`  put, cp, sync and rotate use it for objects written under ${formatScope(d)} (on ${d.endpoint}) when no --key is given`)],
    json: { ok: true, action: 'set', ...defaultJson(d), replaced: replaced ? defaultJson(replaced) : null },
    kind: 'done',
  };
}

/** A default removed (--unset). */
export function renderDefaultUnset(out: Output, d: KeyDefault): Rendered {
  return {
    line: `${out.c.green('✓')} no default key for ${formatScope(d)} any more (it was ${d.ref}, key ${d.fingerprint})`,
    json: { ok: true, action: 'unset', ...defaultJson(d) },
    kind: 'done',
  };
}

/** Every default key: scope, reference, fingerprint (and the endpoint, when they are on several). */
export function renderDefaultList(out: Output, defaults: KeyDefault[]): Rendered {
  const endpoints = new Set(defaults.map((d) => d.endpoint));
  const width = Math.max(0, ...defaults.map((d) => formatScope(d).length));
  return {
    line: defaults.length
      ? defaults.map((d) => `${formatScope(d).padEnd(width)}  ${d.ref}  ${out.c.cyan(d.fingerprint)}${endpoints.size > 1 ? `  on ${d.endpoint}` : ''}`)
      : ['no default keys (set one with: sse3 keys default REF s3://BUCKET[/PREFIX])'],
    json: { ok: true, defaults: defaults.map(defaultJson) },
    kind: defaults.length ? 'result' : 'note',
  };
}

/** An upload's result with where its key came from in its JSON: keyRef, and keyDefault (the scope whose default it is, or null). */
export const withKeyChoice = <R extends { json: object }>(r: R, wk: WriteKey): R =>
  ({ ...r, json: { ...r.json, keyRef: wk.ref, keyDefault: wk.defaultOf ?? null } });
