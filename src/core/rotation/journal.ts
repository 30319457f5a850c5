import { Sse3Error } from '../../errors.js';
import type { ObjectLocation, RotationIntent, RotationRecord } from '../../manifest/store.js';
import { processAlive } from '../runtime/process.js';
import type { RotateContext } from './probe.js';

/**
 * How rotations in one sse3 home stay out of each other's way. A rotation re-encrypts in place (on Ceph RGW a GET
 * with the old key and a PUT with the new one), so two at once of one object could each read the version the other is
 * about to replace, and the manifest would end naming the key of whichever recorded last, not of whichever wrote last.
 * The journal is the lock: a rotation reads the object only when no other rotation of it is in flight here
 * (awaitOthers), and journals itself only if nothing changed in the journal since then that could have changed the
 * object (claim, one write transaction). So of two rotations of one object at once, one waits for the other or finds
 * that it changed the object first; writes by others (another home, another tool) are caught by the server instead:
 * the PUT is conditional on the ETag read (If-Match), and a later range read under the old key is refused.
 */

/** An entry whose process is still running: that rotation may write the object at any moment. */
export const inFlight = (r: RotationRecord): boolean => r.state === 'pending' && processAlive(r.pid, r.startedAt);

/** What awaitOthers found: the journal's high-water mark when it last saw no rotation of the object in flight. */
export interface Quiet {
  seen: number;
  /** The rotations it waited for, as they ended. */
  waitedFor: RotationRecord[];
}

/**
 * Wait while another sse3 of this home rotates the object (its entry pending, its process alive), saying so once.
 * Ctrl-C stops the wait (INTERRUPTED).
 */
export async function awaitOthers(ctx: RotateContext, location: ObjectLocation, url: string): Promise<Quiet> {
  const { manifest } = ctx.io;
  const waited = new Set<number>();
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    // Read before the entries: one journalled in between is after `seen`, and claim() looks at it.
    const seen = manifest.lastRotationId();
    const busy = manifest.rotationsOf(location).filter(inFlight);
    if (!busy.length) return { seen, waitedFor: [...waited].map((id) => manifest.rotation(id)!) };
    if (!waited.size) ctx.events?.onWarning?.(`${url} is being rotated by another sse3 (process ${busy[0].pid}); waiting for it`);
    for (const r of busy) waited.add(r.id);
    await pause(delay, ctx.io.signal, url);
  }
}

function pause(ms: number, signal: AbortSignal | undefined, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const interrupted = () => reject(new Sse3Error('INTERRUPTED', `rotation of ${url} was interrupted`));
    if (signal?.aborted) return interrupted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      interrupted();
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Which other entry of the object, if any, forbids journalling a rotation that read it after the journal's mark
 * `seen`, with the key `openedWith`:
 * - one in flight (it may write at any moment, over what this one read, or under it);
 * - one journalled after `seen` and done to another key than openedWith: it changed the object after this one's read
 *   began (had it landed first, openedWith would be its key);
 * - one journalled after `seen` whose process died without settling it: it may have written.
 */
export function standsInTheWay(others: RotationRecord[], seen: number, openedWith: string): RotationRecord | undefined {
  return others.find((r) => inFlight(r)
    || (r.id > seen && r.state === 'done' && r.newFingerprint !== openedWith)
    || (r.id > seen && r.state === 'pending'));
}

/**
 * Journal a rotation that read the object after `seen` with key `openedWith`, unless another one stands in its way.
 * Journalled, it comes back with the object's other entries as they stood (closeSuperseded takes them).
 */
export function claim(ctx: RotateContext, intent: RotationIntent, seen: number, openedWith: string)
  : { id: number; others: RotationRecord[] } | { conflict: RotationRecord } {
  return ctx.io.manifest.claimRotation(intent, (others) => standsInTheWay(others, seen, openedWith));
}

/**
 * After a rotation of an object is done (its write confirmed), the entries other rotations of it left pending when
 * their process died are settled by it: the object was read and re-written since, so none of them is to be redone.
 * One whose new key is the key this rotation read the object under (its write had landed), or whose new key is this
 * one's, is done; any other was superseded (abandoned). `atClaim`: the object's other entries when this one was
 * journalled. No other rotation of this home journals the object while this one is pending (claim), so when none of
 * those was pending there is nothing to settle, and the journal is not read again.
 */
export function closeSuperseded(ctx: RotateContext, location: ObjectLocation, mine: { id: number; oldFingerprint: string;
  newFingerprint: string }, atClaim: RotationRecord[]): void {
  if (!atClaim.some((r) => r.state === 'pending')) return;
  for (const r of ctx.io.manifest.rotationsOf(location)) {
    if (r.id === mine.id || r.state !== 'pending' || inFlight(r)) continue;
    const landed = r.newFingerprint === mine.oldFingerprint || r.newFingerprint === mine.newFingerprint;
    ctx.io.manifest.settleRotation(r.id, landed ? 'done' : 'abandoned');
  }
}
