import { promises as fs } from 'node:fs';
import { Sse3Error } from '../../errors.js';
import { faultPoint } from '../../faults.js';
import { localIoError, sameStamp, stampOf } from '../../local/files.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import type { Io } from '../context.js';
import { type RemoveResult, removeVersion } from '../objects/remove.js';
import type { LocalFile } from './single.js';

/**
 * The second half of mv: a source is deleted only once its copy is confirmed (cp's checks passed, the destination's
 * record written), and the destination's record is committed before the source goes, so no moment exists where the
 * manifest knows neither. A failure here leaves the source where it was and says that the copy was made.
 */

/** What became of a moved source. */
export interface MovedSource {
  /** The s3 source's delete (rm's result: a versioned bucket keeps the versions behind a marker, and their rows). */
  removed?: RemoveResult;
  /** The local file deleted. */
  path?: string;
}

/** A moved source that could not be deleted: the copy stands, the source stays, and the error says both. */
function notDeleted(source: string, e: unknown): Sse3Error {
  const err = e instanceof Sse3Error ? e : localIoError(e, 'writing', source);
  return new Sse3Error(err.code, `copied, but the source ${source} was not deleted: ${err.message}`,
    err.hint ?? 'the copy is in place; delete the source yourself once the cause is fixed', { cause: err, exitCode: err.exitCode });
}

/**
 * Delete an uploaded file, if it is still the file that was uploaded: one written to since (or replaced) is kept, since
 * what it holds now was never stored.
 */
export async function deleteMovedFile(io: Io, file: LocalFile): Promise<MovedSource> {
  io.manifest.flush();
  faultPoint('move-copied');
  try {
    const now = stampOf(await fs.stat(file.path));
    if (!sameStamp(now, file.stamp)) {
      throw new Sse3Error('CHANGED', `${file.path} changed after it was uploaded; it was kept, since what it holds now was not stored`,
        'move it again to store it as it is now');
    }
    await fs.unlink(file.path);
  } catch (e) {
    throw notDeleted(file.path, e);
  }
  return { path: file.path };
}

/** Delete a downloaded or copied object (the version read, when one was named), and its record, as rm does. */
export async function deleteMovedObject(io: Io, from: S3Location, versionId: string | undefined): Promise<MovedSource> {
  io.manifest.flush();
  faultPoint('move-copied');
  try {
    return { removed: await removeVersion(io, { ...from, versionId: versionId ?? '' }) };
  } catch (e) {
    throw notDeleted(formatS3Url(from), e);
  }
}
