import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import type { CommandRun } from '../options.js';
import type { Tuning } from '../core/context.js';
import type { SseCKey } from '../keys/key.js';
import type { RotateResult } from '../core/rotation/rotate.js';
import { objectsInScope, objectsUnderKey, olderVersionsUnderKey, rotateContext, rotateOne, type SizedLocation }
  from '../core/rotation/targets.js';
import { retirementChecks } from '../core/rotation/retire.js';
import { formatScope, holdsRecorded, isWholeBucket, otherShardNote, parseScope, resolveScope } from '../core/session/scope.js';
import { type ResumeReport, resumeRotations, settleRotations } from '../core/rotation/settle.js';
import { type HomeManifest, withHomeManifest } from '../core/session/home-manifest.js';
import { loadGivenKeys, openSession, type Session } from '../core/session/session.js';
import { loadKey, parseKeyRef } from '../keys/sources.js';
import { resolveWriteKeys, type WriteKeys } from '../core/session/write-key.js';
import { defaultKeyNote } from '../output/render-key-defaults.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import { reportBatch } from '../output/batch.js';
import { type BatchSummary, SMALL_OBJECT, SMALL_OBJECT_JOBS } from '../core/runtime/batch.js';
import type { Output } from '../output/output.js';
import { withProgress } from '../output/progress.js';
import { asFolderError } from '../core/objects/folder.js';
import { renderResumed, renderRotated, renderSettled, retireAdvice, rotateSummary } from '../output/render-rotation.js';
import { formatShard, type Shard } from '../core/shard.js';

export interface RotateOptions extends Tuning {
  to?: string;
  /** The key the objects are under now: one (given more than once, it is refused, never silently the last). */
  from?: string[];
  recursive?: boolean;
  fingerprint?: string;
  resume?: boolean;
  /** Candidate keys (repeatable), tried by fingerprint; with --resume, keys the journalled rotations need. */
  key?: string[];
  jobs: number;
  /** Objects under 1 MiB in flight (default SMALL_OBJECT_JOBS; --jobs when given). */
  smallJobs?: number;
  /** --shard I/N: this worker's objects of the scope only (core/shard.ts). */
  shard?: Shard;
}

/**
 * What the options ask for, checked before any key is loaded: exactly one of an object, a scope (--recursive), a
 * key (--fingerprint, optionally within a bucket or prefix) or --resume; one --from (the key the objects are under
 * now); --key gives candidates, tried by fingerprint as get, verify and cp do.
 */
function checkModes(target: string | undefined, opts: RotateOptions): void {
  const many = opts.recursive || opts.fingerprint !== undefined;
  // --resume with a scope (-r or --fingerprint): settle this home's interrupted rotations, then rotate the rest of the scope.
  const modes = [target !== undefined || opts.fingerprint !== undefined, Boolean(opts.resume) && !many].filter(Boolean).length;
  if (modes !== 1) {
    throw new Sse3Error('USAGE', 'say what to rotate: s3://BUCKET/KEY, s3://BUCKET/PREFIX/ --recursive, --fingerprint FP ' +
      '[s3://BUCKET[/PREFIX]], or --resume');
  }
  // Without --to, the new key is the default of the object's bucket or folder (sse3 keys default): a scope is needed.
  if (!opts.resume && !opts.to && target === undefined) {
    throw new Sse3Error('USAGE', 'rotate needs the new key: --to REF', 'or name the bucket or folder whose default key it is: ' +
      'sse3 rotate --fingerprint FP s3://BUCKET[/PREFIX] (sse3 keys default REF s3://BUCKET[/PREFIX] sets one)');
  }
  if ((opts.from?.length ?? 0) > 1) {
    throw new Sse3Error('USAGE', `--from takes one key, the one the objects are under now (given ${opts.from!.length} times)`,
      'to offer several keys, give each with --key REF (repeatable): each object is opened with the one of its fingerprint');
  }
  if (opts.resume && opts.from?.length) throw new Sse3Error('USAGE', '--from does not go with --resume', 'give the keys with --key REF');
  if (opts.shard && !many) {
    throw new Sse3Error('USAGE', '--shard goes with a scope: s3://BUCKET[/PREFIX] --recursive, or --fingerprint FP',
      'e.g. sse3 rotate s3://BUCKET --recursive --to REF --shard 0/4 (add --resume to finish a worker that was stopped)');
  }
  if (target !== undefined && !opts.recursive && opts.fingerprint === undefined) {
    const { key } = parseS3Url(target);
    if (key === '' || key.endsWith('/')) throw new Sse3Error('USAGE', `${shown(target)} names a folder, not an object`, rotateFolderHint(target));
  }
}

/** How to rotate every object under a folder, for a folder named without --recursive. */
const rotateFolderHint = (folder: string) => `rotate everything under it: add --recursive (sse3 rotate ${folder} --recursive --to REF)`;

/** The default keys a rotation moves to are read from the manifest the session then works with. */
export const rotate = (target: string | undefined, opts: RotateOptions, run: CommandRun): Promise<void> =>
  withHomeManifest((manifest) => rotateWith(manifest, target, opts, run));

async function rotateWith(manifest: HomeManifest, target: string | undefined, opts: RotateOptions, { g, out, signal }: CommandRun)
  : Promise<void> {
  checkModes(target, opts);
  const resumeOnly = opts.resume && !opts.recursive && opts.fingerprint === undefined;
  if (opts.shard) out.carry({ shard: formatShard(opts.shard) });
  const newKeys = resumeOnly ? undefined : await newKeysFor(target, opts, { g, out, manifest });
  const fromKey = opts.from?.length ? await loadKey(parseKeyRef(opts.from[0]!)) : undefined;
  const writing = newKeys?.all.map((k) => k.key) ?? [];
  const known = [...writing, fromKey].filter((k): k is SseCKey => k !== undefined);
  const s = await openSession(g, { signal, out }, { keys: await loadGivenKeys(opts.key), held: known, writing, manifest });
  try {
    if (resumeOnly) return await resume(s, opts, out);
    // Anything a killed rotation left behind is settled first, whatever the mode, with the keys given here too; with
    // --resume, also redone where it never landed, before the rest of the scope.
    if (opts.resume) await resumeBeforeScope(s, opts, out, known);
    else for (const r of await settleRotations(rotateContext(s, opts, { onWarning: (m) => out.warn(m) }, known))) out.tell(renderSettled(out, r));
    if (opts.fingerprint !== undefined) return await rotateUnderKey(s, opts.fingerprint, target, opts, out, newKeys!, fromKey);
    if (target !== undefined && !opts.recursive) {
      const loc = parseS3Url(target, { requireKey: true });
      const r = await withProgress(out, `rotate ${loc.key}`, (ev) => rotateOne(s, rotateContext(s, opts, ev), loc, newKeys!.for(loc.key).key, fromKey))
        .catch(async (e: unknown) => { throw await asFolderError(s, loc, e, rotateFolderHint); });
      const moved = r.status === 'plain' ? [] : [r.oldFingerprint];
      out.show(renderRotated(out, r, await retirementChecks(s, moved, [loc.bucket], { jobs: opts.jobs })));
      return;
    }
    const scope = { ...parseScope(target!), shard: opts.shard };
    await rotateMany(s, objectsInScope(s, scope), opts, out, newKeys!, fromKey, { nothing: `nothing under ${formatScope(scope)} to rotate`,
      scope: formatScope(scope), whole: isWholeBucket(scope) ? scope.bucket : undefined });
  } finally {
    s.close();
  }
}

/**
 * The key(s) a rotation moves objects to: --to, else the default keys of the target's bucket or folder (and of folders
 * inside it), each object taking the longest that matches. SSE3_KEY is never taken for a rotation's new key.
 */
async function newKeysFor(target: string | undefined, opts: RotateOptions,
  { g, out, manifest }: { g: CommandRun['g']; out: Output; manifest: HomeManifest }): Promise<WriteKeys> {
  const whole = opts.recursive || opts.fingerprint !== undefined;
  const where = opts.to !== undefined || target === undefined ? { scope: { bucket: '', prefix: '' } }
    : whole ? { scope: parseScope(target) } : parseS3Url(target, { requireKey: true });
  const keys = await resolveWriteKeys(opts.to, {}, where, g, manifest,
    { option: '--to', missing: (at) => `rotate needs the new key: --to REF (no default key is set for ${at})` });
  for (const k of keys.all) if (k.defaultOf) out.info(defaultKeyNote(out, k));
  return keys;
}

/** --fingerprint: the current versions the manifest records under the key, on this endpoint or within a bucket or prefix. */
async function rotateUnderKey(s: Session, fingerprint: string, target: string | undefined, opts: RotateOptions, out: Output,
  newKeys: WriteKeys, fromKey: SseCKey | undefined): Promise<void> {
  const scope = target === undefined ? undefined : { ...await resolveScope(target, holdsRecorded(s)), shard: opts.shard };
  // An object of another worker's shard is nothing to do here, not an object without a version under the key.
  const nothing = (scope && otherShardNote(scope))
    || (scope ? `no object's current version under ${formatScope(scope)} is recorded under key ${fingerprint}: nothing to rotate`
      : `no object's current version is recorded under key ${fingerprint} on ${s.conn.endpoint}: nothing to rotate`);
  await rotateMany(s, objectsUnderKey(s, fingerprint, scope, opts.shard), opts, out, newKeys, fromKey,
    { nothing, scope: scope ? formatScope(scope) : undefined });
}

/** rotate --resume alone: the journalled rotations finished; its result line comes before the error of any left unresolved. */
async function resume(s: Session, opts: RotateOptions, out: Output): Promise<void> {
  const report = await resumeJournalled(s, opts, out);
  const { needs, ...resumed } = renderResumed(out, report);
  out.show(resumed);
  refuseUnresolved(report, needs);
}

/**
 * rotate --resume with a scope: the journalled rotations finished first, said in a note (the batch's summary is the
 * run's closing line); any left unresolved stop the run before the rest of the scope.
 */
async function resumeBeforeScope(s: Session, opts: RotateOptions, out: Output, known: SseCKey[]): Promise<void> {
  const report = await resumeJournalled(s, opts, out, known);
  const { needs, line } = renderResumed(out, report);
  out.tell({ kind: 'note', line });
  refuseUnresolved(report, needs);
}

/** The rotations this home journalled and did not finish: settled, and redone where they never landed; each said on its line. */
async function resumeJournalled(s: Session, opts: RotateOptions, out: Output, known: SseCKey[] = []) {
  const report = await resumeRotations(rotateContext(s, opts, { onWarning: (m) => out.warn(m) }, known));
  for (const r of report.settled) {
    if (report.unresolved.some((u) => u.journalId === r.journalId)) continue;
    // Found not written yet, then redone by this run (resumeRotations redoes every such one it does not leave unresolved).
    out.tell(renderSettled(out, r, r.outcome === 'old-key' ? 'redone' : 'settled'));
  }
  for (const r of report.unresolved) out.tell(renderSettled(out, r, 'unresolved'));
  return report;
}

/** Interrupted rotations that could not be finished end the command, naming the keys to pass. */
function refuseUnresolved(report: ResumeReport, needs: string[]): void {
  if (!report.unresolved.length) return;
  throw new Sse3Error('NO_KEY', `${report.unresolved.length} interrupted rotation(s) could not be finished` +
    (needs.length ? `: sse3 cannot find the key(s) ${needs.join(', ')}` : ''),
  needs.length ? 'pass them with sse3 rotate --resume --key REF (repeatable), or make them available (key folder, SSE3_KEY, ' +
    'keychain); the rotations stay journalled until then' : 'the lines above say why; the rotations stay journalled',
  { exitCode: report.exitCode });
}

/** What a batch rotation says about its scope: when there was nothing to rotate, the scope, the whole bucket it covered. */
interface ManyScope {
  nothing: string;
  /** The s3:// scope rotated (with --fingerprint, the bucket or prefix it was given, if any). */
  scope?: string;
  /** A whole bucket rotated: its objects' tags can say whether the old keys are still needed there. */
  whole?: string;
}

interface DeletedCount { objects: number; latestUnderKey: number; onlyLatest: number }

/** A deleted object of a --fingerprint rotation: whether its latest row (current no more) is under the key, and its only one. */
function countDeleted(s: Session, loc: SizedLocation, fingerprint: string | undefined, deleted: DeletedCount): void {
  deleted.objects++;
  if (fingerprint === undefined) return;
  const rows = s.manifest.versions({ endpoint: s.conn.endpoint, bucket: loc.bucket, key: loc.key });
  if (rows[0]?.fingerprint !== fingerprint) return;
  deleted.latestUnderKey++;
  if (!rows.slice(1).some((r) => r.fingerprint === fingerprint)) deleted.onlyLatest++;
}

/** The versions under a key that are not current on the server: the manifest's older rows, and deleted objects' latest. */
function olderUnderKey(s: Session, fingerprint: string, deleted: DeletedCount) {
  const recorded = olderVersionsUnderKey(s, fingerprint);
  return { fingerprint, versions: recorded.versions + deleted.latestUnderKey, objects: recorded.objects + deleted.onlyLatest };
}

async function rotateMany(s: Session, objects: AsyncIterable<SizedLocation> | Iterable<SizedLocation>, opts: RotateOptions,
  out: Output, newKeys: WriteKeys, fromKey: SseCKey | undefined, { nothing, scope, whole }: ManyScope): Promise<void> {
  const oldFingerprints = new Set<string>();
  let plain = 0;
  // Objects deleted behind a marker: their latest row is an older version too, which the manifest's count leaves out.
  const deleted = { objects: 0, latestUnderKey: 0, onlyLatest: 0 };
  const buckets = new Set<string>();
  // New versions' rows are written in groups; each settled rotation writes those waiting with it (the journal stays per object).
  s.manifest.deferRecords();
  const items = (async function* () {
    for await (const loc of objects) {
      yield { label: formatS3Url(loc), small: loc.size < SMALL_OBJECT, run: async (ev: Parameters<typeof rotateContext>[2]) => {
        const r = await rotateOne(s, rotateContext(s, opts, ev), loc, newKeys.for(loc.key).key, fromKey, true);
        if (r.status === 'plain') plain++;
        else oldFingerprints.add(r.oldFingerprint);
        if (r.status === 'deleted') countDeleted(s, loc, opts.fingerprint, deleted);
        buckets.add(loc.bucket);
        return r;
      } };
    }
  })();
  // With --fingerprint: what the key still opens after its objects' current versions moved to the new key, also
  // when nothing was left to rotate (the older versions still keep the key in use).
  const summary = (b: BatchSummary, headline: string) => rotateSummary(b, headline, { plain, deleted: deleted.objects, scope,
    older: opts.fingerprint === undefined ? undefined : olderUnderKey(s, opts.fingerprint, deleted) });
  try {
    await reportBatch<RotateResult>(out, items, { jobs: opts.jobs, smallJobs: opts.smallJobs ?? SMALL_OBJECT_JOBS, signal: s.signal,
      render: (r) => renderRotated(out, r), nothing, summary });
  } finally {
    // Interrupted, the one interruption line ends the run: no key checks against a stopped session.
    const checks = s.signal.aborted ? [] : await retirementChecks(s, oldFingerprints, buckets, { wholeBucket: whole, jobs: opts.jobs })
      .catch((e: Error) => { out.warn(`could not check which keys the bucket still needs: ${e.message}`); return []; });
    for (const c of checks) out.info(retireAdvice(c));
  }
}
