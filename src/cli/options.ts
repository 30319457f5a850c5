import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { Sse3Error } from '../errors.js';
import { isFingerprint } from '../keys/key.js';

// The options several commands share, and what turns their values into what the commands take.

const MiB = 1024 * 1024;

export const positiveInt = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number.`);
  return n;
};

/** A key fingerprint typed as an option's value. */
export const fingerprintArg = (what: string) => (value: string): string => {
  if (!isFingerprint(value)) throw new InvalidArgumentError(`${what} takes a key fingerprint: 20 hex digits, as sse3 keys list shows them.`);
  return value;
};

/** The Examples section of a command's --help. */
export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export const KEY_HELP = 'key reference: file:PATH, env:VAR or keychain:NAME (never the key itself)';

/** Options that may be given several times collect their values in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** --key as candidates: each object is opened with the given key that has its recorded fingerprint. */
export const candidateKeysOption = (flags: string, what: string) => new Option(flags, `${KEY_HELP}; ${what}`).argParser(collect);

/** Part size and parts in flight, for every command that moves bytes. Without --part-size sse3 picks one. */
export const partSizeOption = () => new Option('--part-size <MiB>',
  'multipart part size in MiB, 5 to 5120 (default: 8, grown to stay within 10,000 parts)').argParser(positiveInt('--part-size'));
export const concurrencyOption = () => new Option('--concurrency <n>', 'parts in flight per object')
  .argParser(positiveInt('--concurrency')).default(4);
export const jobsOption = (what: string) => new Option('--jobs <n>', what).argParser(positiveInt('--jobs')).default(8);
export const serverSideOption = () => new Option('--server-side <mode>', 'server-side copy: auto (when the server can) or never (always stream)')
  .choices(['auto', 'never'] as const).default('auto' as const);

/** S3 takes parts of 5 MiB to 5 GiB (the last may be smaller): a size outside that is refused before anything is sent. */
export function partSizeBytes(mib: number | undefined): number | undefined {
  if (mib === undefined) return undefined;
  if (mib < 5 || mib > 5120) {
    throw new Sse3Error('USAGE', `--part-size ${mib} is out of range: S3 takes parts of 5 to 5120 MiB (5 GiB)`,
      'leave it out and sse3 picks one, or pass e.g. --part-size 64');
  }
  return mib * MiB;
}

/** What the option adapters read of the parsed command. */
type Parsed = { getOptionValueSource(key: string): string | undefined };

/** --part-size, given in MiB, as the bytes the commands take. */
export const withPartSize = <O extends { partSize?: number }>(o: O): O => ({ ...o, partSize: partSizeBytes(o.partSize) });

/** Small objects in flight: the command's default (more than --jobs's default) unless --jobs was given. */
export const withSmallJobs = <O extends { jobs: number }>(o: O, cmd: Parsed): O & { smallJobs?: number } =>
  ({ ...o, smallJobs: cmd.getOptionValueSource('jobs') === 'default' ? undefined : o.jobs });

/** --part-size and the small objects in flight, for the batch commands that move bytes (cp, rotate). */
export const withTransferTuning = <O extends { partSize?: number; jobs: number }>(o: O, cmd: Parsed) => withSmallJobs(withPartSize(o), cmd);
