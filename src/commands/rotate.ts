import { Sse3Error } from '../errors.js';
import type { SseCKey } from '../core/key.js';
import { rotateObject, type RotateContext, type RotateResult, settleRotations } from '../core/rotate.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { listObjects } from '../s3/list.js';
import { formatS3Url, parseS3Url, type S3Location } from '../s3/url.js';
import type { Output } from '../output/output.js';
import { transferProgress } from '../output/progress.js';
import { reportBatch } from './cp.js';
import { type GlobalOptions, keyForObject, openSession, type Session } from './session.js';

export interface RotateOptions {
  to?: string;
  from?: string;
  recursive?: boolean;
  fingerprint?: string;
  resume?: boolean;
  jobs?: number;
  partSize?: number;
  concurrency?: number;
  serverSide?: 'auto' | 'never';
}

export function rotateContext(s: Session, opts: RotateOptions, out: Output): RotateContext {
  return {
    conn: s.conn, manifest: s.manifest, signal: s.signal, serverSide: opts.serverSide, partSize: opts.partSize,
    concurrency: opts.concurrency, onWarning: (m) => out.warn(m), findKey: (fp) => s.findKey(fp),
  };
}

/** Old key for an object: --from, else the fingerprint the manifest (or tag) records. */
async function oldKeyFor(s: Session, loc: S3Location, from?: SseCKey): Promise<SseCKey> {
  if (from) return from;
  return (await keyForObject(s, loc, { required: true })).key!;
}

const rotatedJson = (r: RotateResult) => ({ ok: true, ...r, versionId: r.versionId || null });

/** Fingerprints that no recorded object needs any more: safe to retire, knowingly. */
function retirable(s: Session, fingerprints: Set<string>): string[] {
  const use = s.manifest.fingerprintUse();
  return [...fingerprints].filter((fp) => !use.get(fp));
}

export async function rotate(target: string | undefined, opts: RotateOptions, g: GlobalOptions, out: Output, signal: AbortSignal)
  : Promise<void> {
  const modes = [target !== undefined, opts.fingerprint !== undefined, Boolean(opts.resume)].filter(Boolean).length;
  if (modes !== 1) {
    throw new Sse3Error('USAGE', 'say what to rotate: s3://BUCKET/KEY, s3://BUCKET/PREFIX/ --recursive, --fingerprint FP, or --resume');
  }
  if (!opts.resume && !opts.to) throw new Sse3Error('USAGE', 'rotate needs the new key: --to REF');
  const newKey = opts.to ? await loadKey(parseKeyRef(opts.to)) : undefined;
  const fromKey = opts.from ? await loadKey(parseKeyRef(opts.from)) : undefined;
  const s = await openSession(g, signal);
  const ctx = rotateContext(s, opts, out);
  const oldFingerprints = new Set<string>();
  try {
    // Anything a killed rotation left behind is settled first, whatever the mode.
    const settled = await settleRotations(ctx);
    for (const r of settled) {
      const line = r.outcome === 'new-key' ? 'finished: opens with the new key'
        : r.outcome === 'old-key' ? 'not written: still opens with the old key' : `unresolved: ${r.detail}`;
      out.info(`${r.outcome === 'unresolved' ? out.c.red('✗') : out.c.green('✓')} ${r.url}: interrupted rotation ${line}`);
    }
    if (opts.resume) {
      const unresolved = settled.filter((r) => r.outcome === 'unresolved');
      // A rotation that never wrote is redone, so --resume finishes the job it was given.
      const retried: RotateResult[] = [];
      for (const r of settled.filter((x) => x.outcome === 'old-key')) {
        const [oldKey, newKey2] = await Promise.all([s.findKey(r.oldFingerprint), s.findKey(r.newFingerprint)]);
        if (oldKey && newKey2) retried.push(await rotateObject(ctx, r.bucket, r.key, oldKey, newKey2));
      }
      out.result(`${settled.length} interrupted rotation(s) settled, ${retried.length} redone, ${unresolved.length} unresolved`,
        { ok: unresolved.length === 0, settled, redone: retried.map(rotatedJson) });
      if (unresolved.length) throw new Sse3Error('NO_KEY', `${unresolved.length} interrupted rotation(s) could not be settled`,
        'make both keys available (keychain, key folder or SSE3_KEY) and run sse3 rotate --resume again');
      return;
    }

    if (target !== undefined && !opts.recursive) {
      const loc = parseS3Url(target, { requireKey: true });
      const oldKey = await oldKeyFor(s, loc, fromKey);
      oldFingerprints.add(oldKey.fingerprint);
      const progress = await transferProgress(out, `rotate ${loc.key}`);
      let r: RotateResult;
      try {
        r = await rotateObject({ ...ctx, onStart: (n) => progress.start(n), onBytes: (n) => progress.add(n) }, loc.bucket, loc.key, oldKey, newKey!);
      } finally {
        progress.stop();
      }
      const retire = retirable(s, oldFingerprints);
      out.result(renderRotated(out, r, retire), { ...rotatedJson(r), retirableFingerprints: retire });
      return;
    }

    const items = target !== undefined ? fromListing(s, parseS3Url(target)) : fromManifest(s, opts.fingerprint!);
    const jobs = (async function* () {
      for await (const loc of items) {
        yield { from: formatS3Url(loc), run: async () => {
          const oldKey = await oldKeyFor(s, loc, fromKey);
          oldFingerprints.add(oldKey.fingerprint);
          const r = await rotateObject(ctx, loc.bucket, loc.key, oldKey, newKey!);
          return { json: rotatedJson(r), line: renderRotated(out, r, [])[0] };
        } };
      }
    })();
    try {
      await reportBatch(out, jobs, opts.jobs ?? 8, signal);
    } finally {
      const retire = retirable(s, oldFingerprints);
      if (retire.length) out.info(`no recorded object needs key(s) ${retire.join(', ')} any more; retire them when you are sure`);
    }
  } finally {
    s.close();
  }
}

function renderRotated(out: Output, r: RotateResult, retire: string[]): string[] {
  const lines = [r.status === 'already'
    ? `${out.c.green('✓')} ${r.url} already opens with key ${out.c.cyan(r.newFingerprint)}`
    : `${out.c.green('✓')} rotated ${r.url}  ${out.c.cyan(r.oldFingerprint)} → ${out.c.cyan(r.newFingerprint)}  (${r.method})` +
      (r.versionId ? `  new version ${r.versionId}` : '')];
  if (r.olderVersionsWithOldKey > 0) {
    lines.push(`  ${r.olderVersionsWithOldKey} older version(s) still need key ${r.oldFingerprint}`);
  }
  for (const fp of retire) lines.push(`  no recorded object needs key ${fp} any more; retire it when you are sure`);
  return lines;
}

async function* fromListing(s: Session, loc: S3Location): AsyncGenerator<S3Location> {
  const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
  for await (const o of listObjects(s.conn, loc.bucket, prefix, s.signal)) {
    if (!o.key.endsWith('/')) yield { bucket: loc.bucket, key: o.key };
  }
}

function* fromManifest(s: Session, fingerprint: string): Generator<S3Location> {
  for (const e of s.manifest.list({ endpoint: s.conn.endpoint }, { latestOnly: true, fingerprint })) {
    yield { bucket: e.bucket, key: e.key };
  }
}
