import { formatS3Url } from '../../s3/url.js';
import type { TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { marchSorted } from './march.js';
import type { Scope } from '../session/scope.js';
import type { Session } from '../session/session.js';
import { type CopyState, type CopyVerdict, decideCopy } from './decide.js';
import { deleteObject, recordFromObjectTags } from './act.js';
import { keepListedTime, listRelative, recordCursor, recordState, type SyncOutcome, type SyncTally, type SyncWork } from './plan.js';
import type { ObjectProps } from '../props.js';
import { copyOne } from '../transfer/single.js';

/** An s3 → s3 sync: the same rules as cp for keys (the source's found, the destination's given or the source's). */
export interface CopySyncSpec {
  source: Scope;
  dest: Scope;
  delete: boolean;
  dryRun: boolean;
  filter?: (rel: string) => boolean;
  /** The key that encrypts what is copied; default: each source object's own key. */
  destKey?: SseCKey;
  /** The upload options given: each replaces the source object's value in the copy. */
  props?: ObjectProps;
  tuning?: Tuning;
}

/** The plan of an s3 → s3 sync, as planSync's for local folders: settled names counted, the rest yielded as work. */
export async function* planCopySync(s: Session, spec: CopySyncSpec, tally: SyncTally): AsyncGenerator<SyncWork> {
  const sourceRecords = recordCursor(s, spec.source);
  const destRecords = recordCursor(s, spec.dest);
  const deletes: SyncWork[] = [];
  for await (const m of marchSorted(listRelative(s, spec.source, spec.filter), listRelative(s, spec.dest, spec.filter),
    ['the source listing', 'the destination listing'])) {
    const from = { bucket: spec.source.bucket, key: spec.source.prefix + m.rel };
    const to = { bucket: spec.dest.bucket, key: spec.dest.prefix + m.rel };
    const state: CopyState = {
      source: m.a && { size: m.a.size, etag: m.a.etag, lastModified: m.a.lastModified }, sourceTagsRead: false,
      sourceRecord: m.a && recordState(sourceRecords.seek(m.rel)),
      dest: m.b && { size: m.b.size, etag: m.b.etag, lastModified: m.b.lastModified }, destTagsRead: false,
      destRecord: m.b && recordState(destRecords.seek(m.rel)),
      delete: spec.delete,
    };
    keepListedTime(s, from, state.sourceRecord, state.source, spec.dryRun);
    keepListedTime(s, to, state.destRecord, state.dest, spec.dryRun);
    const verdict = decideCopy(state);
    if (verdict.do === 'unchanged') tally.unchanged++;
    else if (verdict.do === 'skip') tally.notDeleted++;
    else {
      const work: SyncWork = { label: formatS3Url(verdict.do === 'delete-remote' ? to : from),
        ids: { ...(verdict.do === 'delete-remote' ? {} : { source: formatS3Url(from) }), url: formatS3Url(to) },
        bytes: verdict.do === 'copy' ? state.source!.size : verdict.do === 'delete-remote' ? 0 : undefined,
        run: (events) => settle(s, spec, { rel: m.rel, from, to, state, tally }, verdict, events) };
      if (verdict.do === 'delete-remote') deletes.push(work);
      else yield work;
    }
  }
  // As for local folders: nothing is deleted unless both listings were read to the end, in order.
  yield* deletes;
}

interface NameContext {
  rel: string;
  from: { bucket: string; key: string };
  to: { bucket: string; key: string };
  state: CopyState;
  tally: SyncTally;
}

async function settle(s: Session, spec: CopySyncSpec, c: NameContext, first: CopyVerdict, events: TransferEvents): Promise<SyncOutcome> {
  let v = first;
  for (; v.do === 'read-source-tags' || v.do === 'read-tags'; v = decideCopy(c.state)) {
    if (v.do === 'read-source-tags') {
      c.state.sourceRecord = await recordFromObjectTags(s, c.from, c.state.source!, spec.dryRun);
      c.state.sourceTagsRead = true;
    } else {
      c.state.destRecord = await recordFromObjectTags(s, c.to, c.state.dest!, spec.dryRun);
      c.state.destTagsRead = true;
    }
  }
  const base = { rel: c.rel, path: '', url: formatS3Url(c.to), source: formatS3Url(c.from), bytes: 0, dryRun: spec.dryRun,
    size: (c.state.source ?? c.state.dest)?.size ?? 0 };
  if (v.do === 'unchanged') return { ...base, action: 'unchanged' };
  if (v.do === 'delete-remote') {
    if (!spec.dryRun) await deleteObject(s, c.to, events);
    return { ...base, source: undefined, action: 'delete', side: 'remote' };
  }
  if (v.do !== 'copy') throw new Error(`sync: unexpected verdict ${v.do}`);
  if (v.reason === 'unrecorded') c.tally.unrecorded++;
  // A dry run's bytes are what the real run would copy.
  if (spec.dryRun) return { ...base, action: 'copy', reason: v.reason, bytes: base.size };
  const upload = await copyOne(s, c.from, c.to, { destKey: spec.destKey, props: spec.props, tuning: spec.tuning }, events);
  return { ...base, action: 'copy', reason: v.reason, bytes: upload.size, upload };
}
