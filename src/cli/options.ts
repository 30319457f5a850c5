import { type Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { Sse3Error } from '../errors.js';
import { isFingerprint } from '../keys/fingerprint.js';
import { exactSize, MAX_PART_SIZE, MIN_PART_SIZE } from '../core/transfer/partsize.js';
import { headerValue, type ObjectProps, storageClassArg, userMetadata } from '../core/props.js';
import type { FilterRule } from '../core/sync/filter.js';
import { parseShard, type Shard } from '../core/shard.js';

// The options several commands share, and what turns their values into what the commands take.

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

/**
 * --shard I/N on the bucket-wide commands: this worker's part of the objects (core/shard.ts). A bad value is a
 * usage error (exit 2) with parseShard's one line.
 */
export const shardOption = () => new Option('--shard <i/n>', 'one of N workers: only the objects of shard I (0 to N-1), ' +
  'chosen by a hash of the key, so N machines with homes of their own cover the bucket once')
  .argParser((value: string): Shard => {
    try {
      return parseShard(value);
    } catch (e) {
      throw new InvalidArgumentError(`${(e as Error).message}.`);
    }
  });

/** The Examples section of a command's --help. */
export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export const KEY_HELP = 'key reference: file:PATH, env:VAR or keychain:NAME (never the key itself)';

/** Options that may be given several times collect their values in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** --key as candidates: each object is opened with the given key that has its recorded fingerprint. */
export const candidateKeysOption = (flags: string, what: string) => new Option(flags, `${KEY_HELP}; ${what}`).argParser(collect);

/** Part size and parts in flight, for every command that moves bytes. Without --part-size sse3 picks one. */
export const partSizeOption = () => new Option('--part-size <size>',
  'multipart part size, 5MiB to 5GiB; a plain number is MiB (default: 8MiB, grown to stay within 10,000 parts)').argParser(partSizeArg);
export const concurrencyOption = () => new Option('--concurrency <n>',
  'parts or ranges in flight per object (default: 3 parts for an upload or a streamed copy, 4 ranges for a download)')
  .argParser(positiveInt('--concurrency'));
/**
 * --jobs, 8 unless given. `shownDefault` is what --help says the default is when it depends on the objects or the mode
 * (Commander would otherwise add its own "(default: 8)" after it): one statement of the default, never two.
 */
export const jobsOption = (what: string, shownDefault?: string) =>
  new Option('--jobs <n>', what).argParser(positiveInt('--jobs')).default(8, shownDefault);
export const serverSideOption = () => new Option('--server-side <mode>', 'server-side copy: auto (when the server can) or never (always stream)')
  .choices(['auto', 'never'] as const).default('auto' as const);

const SIZE_UNITS: Record<string, bigint> = { b: 1n, kib: 1024n, mib: 1024n ** 2n, gib: 1024n ** 3n };
/** Decimal digits, an optional fraction, an optional binary unit: nothing JavaScript's Number() also takes (0x10, 1e1, " 8"). */
const SIZE = /^(\d+)(?:\.(\d+))?(b|kib|mib|gib)?$/i;

/**
 * --part-size as bytes: 8 (MiB, as the option always took), 8MiB, 512KiB, 5.5MiB, 1GiB — a whole number of bytes.
 * Decimal units (MB) are refused rather than guessed: tools disagree on whether they mean 10^6 or 2^20.
 */
export function partSizeArg(value: string): number {
  const m = SIZE.exec(value);
  const unit = SIZE_UNITS[(m?.[3] ?? 'mib').toLowerCase()];
  const fraction = m?.[2] ?? '';
  const scaled = m ? (BigInt(m[1] + fraction) * unit) : 0n;
  const divisor = 10n ** BigInt(fraction.length);
  if (!m || scaled % divisor !== 0n || scaled / divisor > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError('--part-size takes a size such as 8, 8MiB, 512KiB or 1GiB (a plain number is MiB; units B, KiB, MiB, GiB).');
  }
  return Number(scaled / divisor);
}

/** S3 takes parts of 5 MiB to 5 GiB (the last may be smaller): a size outside that is refused before anything is sent. */
export function partSizeBytes(bytes: number | undefined): number | undefined {
  if (bytes === undefined) return undefined;
  if (bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
    throw new Sse3Error('USAGE', `--part-size ${exactSize(bytes)} is out of range: S3 takes parts of 5 MiB to 5 GiB`,
      'leave it out and sse3 picks one, or pass e.g. --part-size 64MiB');
  }
  return bytes;
}

/** What the option adapters read of the parsed command. */
type Parsed = { getOptionValueSource(key: string): string | undefined };

/** --part-size, parsed to bytes, within S3's part sizes. */
export const withPartSize = <O extends { partSize?: number }>(o: O): O => ({ ...o, partSize: partSizeBytes(o.partSize) });

/** Small objects in flight: the command's default (more than --jobs's default) unless --jobs was given. */
export const withSmallJobs = <O extends { jobs: number }>(o: O, cmd: Parsed): O & { smallJobs?: number } =>
  ({ ...o, smallJobs: cmd.getOptionValueSource('jobs') === 'default' ? undefined : o.jobs });

/** --part-size and the small objects in flight, for the batch commands that move bytes (cp, rotate). */
export const withTransferTuning = <O extends { partSize?: number; jobs: number }>(o: O, cmd: Parsed) => withSmallJobs(withPartSize(o), cmd);

/**
 * The options that say what an upload stores besides the bytes (put, cp, sync up, mv): defined here once, so every
 * command that writes objects takes the same ones. s3 → s3, each replaces the source's value (which is kept otherwise).
 */
export function addUploadOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--content-type <type>', 'Content-Type to store (default: guessed from the file name, else application/octet-stream; ' +
      's3 → s3: the source\'s)')
    .option('--metadata <key=value>', 'metadata to store (x-amz-meta-KEY), repeatable; names starting with sse3- are sse3\'s own ' +
      '(s3 → s3: replaces the source\'s)', collect)
    .option('--storage-class <class>', 'storage class, e.g. STANDARD_IA (default: the server\'s, STANDARD; s3 → s3: the source\'s)')
    .option('--cache-control <value>', 'Cache-Control to store, e.g. "max-age=3600"')
    .option('--content-disposition <value>', 'Content-Disposition to store, e.g. "attachment; filename=report.pdf"');
}

/** What the upload options say, checked (props.ts): undefined fields are not given. */
export interface UploadOptionValues {
  contentType?: string;
  metadata?: string[];
  storageClass?: string;
  cacheControl?: string;
  contentDisposition?: string;
}

/** The upload options as the properties the command stores (`props`), refused before anything is sent when they cannot be stored. */
export const withUploadProps = <O extends UploadOptionValues>(o: O): O & { props: ObjectProps } => ({
  ...o,
  props: {
    contentType: o.contentType === undefined ? undefined : headerValue('--content-type', o.contentType),
    cacheControl: o.cacheControl === undefined ? undefined : headerValue('--cache-control', o.cacheControl),
    contentDisposition: o.contentDisposition === undefined ? undefined : headerValue('--content-disposition', o.contentDisposition),
    storageClass: o.storageClass === undefined ? undefined : storageClassArg(o.storageClass),
    metadata: userMetadata(o.metadata),
  },
});

/**
 * --exclude and --include (sync, cp --recursive): gitignore-style patterns over the path relative to the folder or
 * prefix, one list in command-line order, the last pattern that matches a path deciding (core/sync/filter.ts). Both
 * options hold that one list (filterRules reads it).
 */
export function addFilterOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  const rules: FilterRule[] = [];
  const rule = (kind: 'exclude' | 'include') => (glob: string): FilterRule[] => {
    rules.push(kind === 'exclude' ? { exclude: glob } : { include: glob });
    return rules;
  };
  return cmd
    .option('--exclude <glob>', 'leave out paths matching this gitignore-style pattern (repeatable)', rule('exclude'))
    .option('--include <glob>', 'take back paths an earlier --exclude left out (repeatable)', rule('include'));
}

/** The --exclude and --include rules in command-line order (none given: an empty list). */
export const filterRules = (o: { exclude?: FilterRule[]; include?: FilterRule[] }): FilterRule[] => o.exclude ?? o.include ?? [];
