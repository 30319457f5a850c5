import { readFileSync } from 'node:fs';

/**
 * Who owns a local file, as sse3 judges it: another user on the same machine must not be able to hand sse3 a key,
 * receive a download, or have sse3 delete their files. Where the system has no user ids (Windows) nothing is judged.
 */

/** The user sse3 runs as, or undefined on a system without user ids. */
export const currentUid = (): number | undefined => process.getuid?.();

/** Owned by the user sse3 runs as (always true on a system without user ids). */
export function ownedByMe(st: { uid: number }): boolean {
  const me = currentUid();
  return me === undefined || st.uid === me;
}

/**
 * Owned by the user sse3 runs as or by root. Root already reads everything, so a device, FIFO or link of root's
 * (/dev/null, /dev/stdout) gives nobody anything they did not have.
 */
export const ownedByMeOrRoot = (st: { uid: number }): boolean => st.uid === 0 || ownedByMe(st);

/**
 * A folder every user may create entries in (world-writable: /tmp, sticky, and any folder opened to all): whatever is
 * found there may have been put there by anyone.
 */
export const isSharedFolder = (st: { mode: number }): boolean => (st.mode & 0o002) !== 0;

let names: Map<number, string> | undefined;

/** A user as a person recognises them: "alice (uid 1001)", or "uid 1001" when /etc/passwd does not list the name. */
export function describeUser(uid: number): string {
  const name = userName(uid);
  return name ? `${name} (uid ${uid})` : `uid ${uid}`;
}

/** The user sse3 runs as, for messages that compare owners: "you (alice, uid 1001)". */
export function describeMe(): string {
  const me = currentUid();
  if (me === undefined) return 'you';
  const name = userName(me);
  return name ? `you (${name}, uid ${me})` : `you (uid ${me})`;
}

function userName(uid: number): string | undefined {
  if (!names) {
    names = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id !== undefined && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
      }
    } catch { /* no user database to read: the number alone */ }
  }
  return names.get(uid);
}
