import { Sse3Error } from '../../errors.js';
import { listLevel } from '../../s3/list.js';
import { formatS3Url, type S3Location } from '../../s3/url.js';
import type { Io } from '../context.js';

/** Something is stored under KEY/: the name given without its slash is a folder. */
async function holdsObjects(io: Io, loc: S3Location): Promise<boolean> {
  for await (const _ of listLevel(io.conn, loc.bucket, `${loc.key}/`, { delimiter: '/' }, io.signal)) return true;
  return false;
}

/**
 * The error for a command on one object that failed, said as the folder it is when the object does not exist and
 * KEY/ holds objects (`sse3 rm s3://b/photos` of the folder photos/), with the command's --recursive form as the hint,
 * as aws-cli points to --recursive. Asked only after the failure: a command on an object that exists lists nothing.
 * A name ending in "/" is refused before any request (parseS3Url, removeTargets), with the same hint.
 */
export async function asFolderError(io: Io, loc: S3Location, e: unknown, recursiveForm: (folder: string) => string): Promise<unknown> {
  if (!(e instanceof Sse3Error) || e.code !== 'NO_OBJECT' || loc.key === '' || loc.key.endsWith('/')) return e;
  if (!await holdsObjects(io, loc).catch(() => false)) return e;
  const folder = `${formatS3Url(loc)}/`;
  return new Sse3Error('USAGE', `${formatS3Url(loc)} names a folder (${folder}), not an object`, recursiveForm(folder), { cause: e });
}
