import { type Register, lazyActions } from '../lazy.js';
import { Option } from '@commander-js/extra-typings';
import { examples, fingerprintArg, jobsOption } from '../options.js';
import type { Program } from '../program.js';

/** Listing and deleting objects (ls, rm), making and removing buckets (mb, rb) and their SSE-C setting (bucket sse-c). */
export function addObjectCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  program.command('ls')
    .description('list buckets, or objects with their encryption, key fingerprint and whether that key is here')
    .argument('[target]', 's3://BUCKET[/PREFIX] (none: the buckets)')
    .option('-r, --recursive', 'every object under the prefix, not only one folder deep')
    .option('--versions', 'every object version')
    .option('--fast', 'no request per object: objects the manifest does not know show as unknown')
    .option('--human-readable', 'sizes in KiB, MiB, GiB (1024-based)')
    .option('--summarize', 'end with the number of objects and their total size')
    .addOption(jobsOption('objects looked up in parallel'))
    .addHelpText('after', examples('sse3 ls', 'sse3 ls s3://backups/2026/', 'sse3 ls s3://backups --recursive --json | jq -c \'select(.keyAvailable == false)\''))
    .action(lazy(() => import('../../commands/ls.js'), 'ls'));

  program.command('rm')
    .description('delete objects (no key needed) and their manifest records')
    .argument('<target>', 's3://BUCKET/KEY, or s3://BUCKET[/PREFIX] with --recursive')
    .option('-r, --recursive', 'every object under the prefix')
    .option('--version-id <id>', 'one version of the object')
    .option('--exact', 'the one object whose key is exactly as written, ending in "/" (not the folder)')
    .option('--all-versions', 'every version (and delete marker) of the object, or under the prefix with --recursive')
    .option('--noncurrent', 'only versions that are not their object\'s current one (every version of a deleted object)')
    .addOption(new Option('--fingerprint <fp>', 'with --noncurrent: only the versions under this key (by their sse3-fp tag, else the manifest)')
      .argParser(fingerprintArg('--fingerprint')))
    .option('--dry-run', 'show what would be deleted, delete nothing')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal for --recursive, --all-versions and --noncurrent)')
    .addOption(jobsOption('objects deleted in parallel'))
    .addHelpText('after', examples('sse3 rm s3://docs/old.pdf', 'sse3 rm s3://backups/2019/ --recursive --dry-run',
      'sse3 rm s3://backups/2019/ --recursive --all-versions --yes',
      'sse3 rm s3://docs --recursive --noncurrent --fingerprint 88f8aee7c9ea43f317a9 --dry-run'))
    .action(lazy(() => import('../../commands/rm.js'), 'rm'));

  program.command('mb')
    .description('make a bucket (in the region in use)')
    .argument('<bucket>', 's3://BUCKET')
    .addHelpText('after', examples('sse3 mb s3://backups-2026'))
    .action(lazy(() => import('../../commands/bucket.js'), 'mb'));

  program.command('rb')
    .description('remove a bucket: an empty one, or with --force everything in it first (every object version)')
    .argument('<bucket>', 's3://BUCKET')
    .option('--force', 'first delete every object version and delete marker in it, as rm --recursive --all-versions does')
    .option('--dry-run', 'with --force: show what would be deleted, delete nothing')
    .option('-y, --yes', 'do not ask for confirmation (needed with --force without a terminal)')
    .addOption(jobsOption('object versions deleted in parallel with --force'))
    .addHelpText('after', examples('sse3 rb s3://old-bucket', 'sse3 rb s3://old-bucket --force --dry-run', 'sse3 rb s3://old-bucket --force --yes'))
    .action(lazy(() => import('../../commands/bucket.js'), 'rb'));

  const bucket = program.command('bucket').description('a bucket\'s settings that decide SSE-C writes (make and remove buckets with mb and rb)');
  bucket.command('sse-c')
    .description('say whether the bucket blocks SSE-C writes (AWS, since April 2026); --allow lifts the block, keeping its default encryption')
    .argument('<bucket>', 's3://BUCKET')
    .option('--allow', 'take SSE-C out of the bucket\'s blocked encryption types (PutBucketEncryption), every other setting kept')
    .option('-y, --yes', 'do not ask for confirmation (needed with --allow without a terminal)')
    .addHelpText('after', examples('sse3 bucket sse-c s3://backups', 'sse3 bucket sse-c s3://backups --allow',
      'sse3 bucket sse-c s3://backups --allow --yes --json'))
    .action(lazy(() => import('../../commands/bucket.js'), 'sseC'));
}
