import { type Register, lazyActions } from '../lazy.js';
import { addFilterOptions, addUploadOptions, concurrencyOption, examples, filterRules, jobsOption, KEY_HELP, partSizeOption, withPartSize,
  withUploadProps } from '../options.js';
import type { Program } from '../program.js';

export function addSyncCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  addUploadOptions(addFilterOptions(program.command('sync')
    .description('make DST the same as SRC, transferring only what changed: a local folder → s3://BUCKET/PREFIX/ (encrypting ' +
      'it), s3://… → a local folder, or s3://… → s3://… (re-keying as cp); changes are found by size, mtime and the SHA-256 ' +
      'sse3 recorded, never by ETag')
    .argument('<src>', 'local folder, or s3://BUCKET[/PREFIX]')
    .argument('<dst>', 's3://BUCKET[/PREFIX], or local folder')
    .option('-k, --key <ref>', `${KEY_HELP}; up: the key that encrypts (default env:SSE3_KEY when set); ` +
      'down: the key that opens the objects (default: found per object by the manifest); s3 → s3: the key for the copies ' +
      '(default: each source object\'s key)')
    .option('--source-key <ref>', 's3 → s3: the key that opens the source objects (default: found per object)')
    .option('--delete', 'delete what DST has and SRC has not (objects with their manifest rows; local regular files only)')
    .option('--dry-run', 'print every action sync would take, and change nothing')
    .option('--checksum', 'read every local file and compare its SHA-256 with the recorded one (finds edits that kept size and mtime)')))
    .addOption(jobsOption('files transferred in parallel'))
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 sync ./photos s3://backups/photos/ --key keychain:backups',
      'sse3 sync ./photos s3://backups/photos/ --delete --dry-run', 'sse3 sync s3://backups/photos/ ./restored/',
      'sse3 sync s3://backups/photos/ s3://archive/photos/ --key keychain:archive',
      'sse3 sync . s3://backups/src/ --exclude node_modules/ --exclude "*.log" --include important.log'))
    .action(lazy(() => import('../../commands/sync.js'), 'sync', (o) => ({ ...withUploadProps(withPartSize(o)), filters: filterRules(o) })));
}
