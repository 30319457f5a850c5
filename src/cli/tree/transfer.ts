import { type Register, lazyActions } from '../lazy.js';
import { addFilterOptions, addUploadOptions, candidateKeysOption, concurrencyOption, examples, filterRules, jobsOption, KEY_HELP,
  partSizeOption, serverSideOption, withPartSize, withTransferTuning, withUploadProps } from '../options.js';
import type { Program } from '../program.js';

/** The commands that move or show one object (put, get, head), and cp. */
export function addTransferCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  addUploadOptions(program.command('put')
    .description('upload a file (or - for stdin) encrypted with an SSE-C key, and record it in the manifest')
    .argument('<src>', 'local file, or - for stdin')
    .argument('<dst>', 's3://BUCKET/KEY (ending in / takes the file\'s name)')
    .option('-k, --key <ref>', `${KEY_HELP}; default env:SSE3_KEY when set`))
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 put report.pdf s3://docs/2026/ --key keychain:docs',
      'tar c data | sse3 put - s3://backups/data.tar --key file:backup.key',
      'sse3 put big.iso s3://isos/big.iso --key env:ISO_KEY --part-size 64',
      'sse3 put site.css s3://web/site.css --key keychain:web --cache-control "max-age=3600" --metadata build=1842'))
    .action(lazy(() => import('../../commands/put.js'), 'put', (o) => withUploadProps(withPartSize(o))));

  program.command('get')
    .description('download and decrypt an object, verifying its SHA-256; the key is found through the manifest')
    .argument('<src>', 's3://BUCKET/KEY')
    .argument('[dst]', 'local file or folder (default: the object\'s name here), or - for stdout')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable; default: found by the manifest\'s fingerprint'))
    .option('--version-id <id>', 'a specific object version')
    .option('--exact', 'the object whose key is exactly as written, ending in "/" (not a folder)')
    .addHelpText('after', examples('sse3 get s3://docs/2026/report.pdf', 'sse3 get s3://backups/data.tar - | tar x',
      'sse3 get s3://isos/big.iso /tmp/ --key env:ISO_KEY'))
    .action(lazy(() => import('../../commands/get.js'), 'get'));

  program.command('head')
    .description('show an object\'s size, dates, ETag, metadata, SSE-C state, whether the key matches, and its manifest record')
    .argument('<src>', 's3://BUCKET/KEY')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable; default: found by the manifest\'s fingerprint'))
    .option('--version-id <id>', 'a specific object version')
    .option('--exact', 'the object whose key is exactly as written, ending in "/" (not a folder)')
    .addHelpText('after', examples('sse3 head s3://docs/2026/report.pdf', 'sse3 head s3://docs/a.txt --key keychain:docs --json'))
    .action(lazy(() => import('../../commands/head.js'), 'head'));

  addUploadOptions(addFilterOptions(program.command('cp')
    .description('copy local → s3 (as put), s3 → local (as get) or s3 → s3 (server-side where possible, re-keying on the way)')
    .argument('<src>', 'local path, - for stdin, or s3://BUCKET/KEY (a prefix with --recursive)')
    .argument('<dst>', 'local path, - for stdout, or s3://BUCKET/KEY')
    .addOption(candidateKeysOption('-k, --key <ref>', 'the key that encrypts an s3 destination (s3 → s3: default the ' +
      'source\'s key); s3 → local: keys that may open the sources, repeatable'))
    .addOption(candidateKeysOption('--source-key <ref>', 'keys that may open the source, repeatable (default: found by the manifest)'))
    .option('-r, --recursive', 'copy a local folder or every object under an s3 prefix')
    .option('--version-id <id>', 'one version of the s3 source (copied onto its own key: restored as the current version)')))
    .addOption(jobsOption('objects in parallel with --recursive', '8; 32 at once for objects under 1 MiB'))
    .addOption(serverSideOption())
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 cp s3://prod/db.dump s3://archive/2026/db.dump --key keychain:archive',
      'sse3 cp --recursive ./photos s3://backups/photos/ --key keychain:backups',
      'sse3 cp --recursive s3://backups/photos/ ./restored/',
      'sse3 cp -r . s3://backups/src/ --key keychain:backups --exclude node_modules/ --exclude "*.log" --include important.log',
      'sse3 cp s3://docs/contract.pdf --version-id 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY s3://docs/contract.pdf --key keychain:docs-2027'))
    .action(lazy(() => import('../../commands/cp.js'), 'cp',
      (o, cmd) => ({ ...withUploadProps(withTransferTuning(o, cmd)), filters: filterRules(o) })));
}
