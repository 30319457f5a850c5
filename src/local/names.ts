import { join } from 'node:path';
import { Sse3Error } from '../errors.js';

/**
 * The one rule for the local name of an object (get, cp -r and sync down): a key, relative to the scope it was
 * listed under, becomes a path under the destination folder only when each of its "/"-separated parts is a name a
 * folder can hold as it is — not empty, not "." or "..", no NUL. The path is then the parts joined as they are, so
 * two different keys never land on one path: the file system would read "x" and "./x", "a/b" and "a//b", "/lead"
 * and "lead" as the same name, and one object would silently replace the other. A key with no such name is not
 * renamed into one (any renaming could meet another object's real name): it is a failed item naming the object.
 */

/** Why a relative key has no local name, or undefined when it has one. */
export function localNameProblem(rel: string): string | undefined {
  if (rel.includes('\0')) return 'its key holds a NUL character';
  const parts = rel.split('/');
  if (parts.some((p) => p === '')) return rel.endsWith('/') ? 'its key ends in "/"' : 'its key has an empty segment ("//", or a "/" at either end)';
  if (parts.some((p) => p === '.' || p === '..')) return 'its key has a "." or ".." segment';
  return undefined;
}

export const isLocalName = (rel: string): boolean => localNameProblem(rel) === undefined;

/** The path of a relative key under root, or an error naming the object (its s3:// URL) when it has no local name. */
export function localPathOf(root: string, rel: string, url: string): string {
  const problem = localNameProblem(rel);
  if (problem !== undefined) throw noLocalName(url, root, problem);
  return join(root, ...rel.split('/'));
}

/** The file name a single download takes in a folder: the key's last part, under the same rule. */
export function localFileNameOf(key: string, url: string, folder: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const problem = name === '' ? 'its key ends in "/"' : localNameProblem(name);
  if (problem !== undefined) {
    throw new Sse3Error('USAGE', `${url} has no file name to take in ${folder}: ${problem}`, 'give the local file name to write, as the destination');
  }
  return name;
}

const noLocalName = (url: string, root: string, problem: string) =>
  new Sse3Error('LOCAL_IO', `${url} cannot be a file under ${root}: ${problem}; not written`,
    `download it on its own to a file name of your choosing (sse3 get URL FILE${url.endsWith('/') ? ' --exact' : ''})`);
