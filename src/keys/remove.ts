import { promises as fs } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { Sse3Error } from '../errors.js';
import { localIoError } from '../local/files.js';
import { shown } from './likeness.js';
import { formatKeyRef, type KeyContext, type KeyRef, loadKey } from './sources.js';

/** What removing a stored key did: a symbolic link named as the key file is removed, not the file it points at. */
export interface RemovedKey {
  /** Where the removed link pointed: the key itself is still there. */
  linkTarget?: string;
}

/**
 * Remove the key stored at ref (a key file, or a keychain entry), once it is read again and is still the key whose
 * use was checked (`fingerprint`): a key put there in the meantime is another key, and is kept.
 */
export async function removeStoredKey(ref: Extract<KeyRef, { kind: 'file' | 'keychain' }>, fingerprint: string, ctx: KeyContext)
  : Promise<RemovedKey> {
  const now = await loadKey(ref, ctx);
  if (now.fingerprint !== fingerprint) {
    throw new Sse3Error('CHANGED', `${formatKeyRef(ref)} holds another key (${now.fingerprint}) than the one checked (${fingerprint}): ` +
      'nothing was removed', 'run the command again');
  }
  if (ref.kind === 'keychain') {
    if (!await ctx.keychain.delete(ref.name)) {
      throw new Sse3Error('KEYCHAIN', `keychain entry ${shown(ref.name)} was gone before sse3 could remove it`);
    }
    return {};
  }
  const st = await fs.lstat(ref.path).catch((e) => { throw localIoError(e, 'removing', ref.path); });
  const linkTarget = st.isSymbolicLink() ? resolve(dirname(ref.path), await fs.readlink(ref.path)) : undefined;
  await fs.unlink(ref.path).catch((e) => { throw localIoError(e, 'removing', ref.path); });
  return linkTarget ? { linkTarget } : {};
}
