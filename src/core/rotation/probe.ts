import type { Io, TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import type { OpenedSource } from '../transfer/copy.js';
import { headWithKey } from '../keyed.js';
import type { ObjectProps } from '../props.js';
import { mtimeFromMetadata, sse3Values } from '../tags.js';

export interface RotateContext {
  io: Io;
  tuning?: Tuning;
  events?: TransferEvents;
  /** Finds a key sse3 knows by fingerprint (keychain, key folder, SSE3_KEY). */
  findKey: (fingerprint: string) => Promise<SseCKey | undefined>;
  /** Every key sse3 has here (given with --key, the command's own, found by itself): asked when a tag does not say. */
  candidates?: () => Promise<SseCKey[]>;
}

/** Whether a key opens the current version of an object; `opened` when a GET of its first part told (its body unread). */
export type Probe = { opens: true; versionId: string; etag: string; sha256?: string; size: number; props: ObjectProps;
    mtimeMs?: number; opened?: OpenedSource }
  | { opens: false; plain?: boolean };

export type Opened = Extract<Probe, { opens: true }>;

/** A keyed HEAD (headWithKey): does this key open the current version of the object? */
export async function probe(ctx: RotateContext, bucket: string, key: string, sseKey: SseCKey): Promise<Probe> {
  const r = await headWithKey(ctx.io, { bucket, key }, sseKey, { op: 'rotate' });
  if (r.verdict === 'missing') throw r.error;
  if (r.verdict !== 'opens') return { opens: false, plain: r.verdict === 'plain' };
  const o = r.answer;
  const { sha256 } = sse3Values(o.metadata, { bucket, key, versionId: o.versionId }, 'metadata');
  return { opens: true, versionId: o.versionId ?? '', etag: o.etag, sha256, size: o.size, props: o.props,
    mtimeMs: mtimeFromMetadata(o.metadata) };
}

