import { CandidateKeys, findOpeningKey, type OpeningKey } from '../candidates.js';
import type { ObjectVersionRef } from '../tags.js';
import type { Session } from './session.js';

/**
 * Keys tried on an object when nothing names its key, or the key recorded for it is refused (it was overwritten outside
 * sse3): the keys given with --key, then every key sse3 finds by itself — the candidates adopt tries, with the same
 * order (the key that opened the most objects so far first). One list per session: a batch discovers keys once.
 */
const bySession = new WeakMap<Session, Promise<CandidateKeys>>();

export function sessionCandidates(s: Session): Promise<CandidateKeys> {
  let candidates = bySession.get(s);
  if (!candidates) {
    candidates = s.allKeys().then((found) => new CandidateKeys([...s.givenKeys.map((key) => ({ ref: key.source, key })), ...found]));
    bySession.set(s, candidates);
  }
  return candidates;
}

/**
 * Try the session's candidates on an object version (keyed HEADs, never a GET), leaving out the keys already refused.
 * `candidates`: how many keys there were to try, for the message when none opens it.
 */
export async function searchKey(s: Session, obj: ObjectVersionRef, refused: string[])
  : Promise<{ match: OpeningKey; candidates: number }> {
  const candidates = await sessionCandidates(s);
  const order = candidates.ordered().filter((c) => !refused.includes(c.key.fingerprint));
  const { match } = await findOpeningKey(s, obj, order);
  if (match && match !== 'plain') {
    candidates.hit(match.key.fingerprint);
    s.keyUsed(match.key);
  }
  return { match, candidates: candidates.size };
}
