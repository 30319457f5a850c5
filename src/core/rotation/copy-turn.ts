import type { ServerLimits } from '../../s3/client.js';
import { mayCopyServerSide } from '../transfer/copy.js';
import type { RotateContext } from './probe.js';

/**
 * Whether the server copies SSE-C objects server-side is learned once per connection, by one rotation. Until that
 * rotation has tried, the others of the batch wait for its answer instead of each paying a HEAD and a CopyObject the
 * server refuses (Ceph RGW before 2025 answers 501: then every rotation streams, a GET and a PUT for a small object).
 * What is learned only chooses the first request: a server that refuses later is still handled by the copy itself
 * (core/transfer/copy.ts falls back to streaming), so no object depends on it.
 */

/** A rotation's turn: whether to start with a HEAD (a server-side copy may follow) or with the GET of a streamed one. */
export interface CopyTurn {
  serverSide: boolean;
  /** The rotation reached its write with what a server-side copy needs (a recorded checksum): the answer is known. */
  tried(): void;
  /**
   * The rotation is over (written, failed or nothing to write), or its write will not tell soon (a large object): the
   * next one waiting may learn in its stead. Called again, nothing more happens.
   */
  end(): void;
}

interface Learning {
  /** Settled when the rotation learning it ends. */
  ended: Promise<void>;
}

/** Per connection: the learning under way; and whether a write has tried, so there is nothing left to learn. */
const underWay = new WeakMap<ServerLimits, Learning>();
const known = new WeakSet<ServerLimits>();
/** Rotations that may end without trying (no recorded checksum, nothing to write): after this many, nobody waits. */
const MAX_LEARNERS = 3;
const learners = new WeakMap<ServerLimits, number>();

const free: CopyTurn = { serverSide: false, tried() {}, end() {} };

/** Wait for the rotation learning the server's answer, if one is, then take a turn (see CopyTurn). */
export async function copyTurn(ctx: RotateContext): Promise<CopyTurn> {
  const { limits } = ctx.io.conn;
  for (;;) {
    if (!mayCopyServerSide(ctx.io, ctx.tuning)) return free;
    const learning = underWay.get(limits);
    if (learning) {
      await learning.ended;
      continue;
    }
    if (known.has(limits) || (learners.get(limits) ?? 0) >= MAX_LEARNERS) return { ...free, serverSide: true };
    return learn(limits);
  }
}

function learn(limits: ServerLimits): CopyTurn {
  let release!: () => void;
  const ended = new Promise<void>((resolve) => { release = resolve; });
  underWay.set(limits, { ended });
  learners.set(limits, (learners.get(limits) ?? 0) + 1);
  let over = false;
  return {
    serverSide: true,
    tried: () => { known.add(limits); },
    end: () => {
      if (over) return;
      over = true;
      underWay.delete(limits);
      release();
    },
  };
}
