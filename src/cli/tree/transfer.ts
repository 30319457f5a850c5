import { type Register, lazyActions } from '../lazy.js';
import { addFilterOptions, addUploadOptions, candidateKeysOption, concurrencyOption, examples, filterRules, jobsOption, KEY_HELP,
  partSizeOption, serverSideOption, withPartSize, withTransferTuning, withUploadProps } from '../options.js';
import type { Command, Option, OptionValues } from '@commander-js/extra-typings';
import type { Program } from '../program.js';

/** A command typed with another's options and its own operands: for a command that takes the other's options. */
type WithOperands<C, A extends unknown[]> = C extends Command<unknown[], infer O extends OptionValues, infer G extends OptionValues>
  ? Command<A, O, G> : never;

/** The action helper of the command tree (lazyActions), handed to each command's definition. */
type Lazy = ReturnType<typeof lazyActions>;

/** The commands that move or show one object (put, get, cat, head, presign), and cp and mv, in the order help lists them. */
export function addTransferCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  addPut(program, lazy);
  const get = addGet(program, lazy);
  // Typed as get with one operand: its options are get's (catCommand copies them), and so is what its entry receives.
  (catCommand(program, get) as unknown as WithOperands<typeof get, [string]>).action(lazy(() => import('../../commands/cat.js'), 'cat'));
  addHead(program, lazy);
  addPresign(program, lazy);
  const cp = addCp(program, lazy);
  // Typed as cp: its options are cp's (moveCommand copies them), and so is what its entry receives.
  (moveCommand(program, cp) as unknown as typeof cp).action(lazy(() => import('../../commands/mv.js'), 'mv', cpOptions));
}

function addPut(program: Program, lazy: Lazy) {
  return addUploadOptions(program.command('put')
    .description('upload a file (or - for stdin) encrypted with an SSE-C key, and record it in the manifest')
    .argument('<src>', 'local file, or - for stdin')
    .argument('<dst>', 's3://BUCKET/KEY (ending in / takes the file\'s name), or an https presigned link (sse3 presign --put)')
    .option('-k, --key <ref>', `${KEY_HELP}; default env:SSE3_KEY when set`))
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 put report.pdf s3://docs/2026/ --key keychain:docs',
      'tar c data | sse3 put - s3://backups/data.tar --key file:backup.key',
      'sse3 put big.iso s3://isos/big.iso --key env:ISO_KEY --part-size 64',
      'sse3 put site.css s3://web/site.css --key keychain:web --cache-control "max-age=3600" --metadata build=1842'))
    .action(lazy(() => import('../../commands/put.js'), 'put', (o) => withUploadProps(withPartSize(o))));
}

/** get, returned for cat to take its options from. */
function addGet(program: Program, lazy: Lazy) {
  const get = program.command('get')
    .description('download and decrypt an object, verifying its SHA-256; the key is found through the manifest')
    .argument('<src>', 's3://BUCKET/KEY, or an https presigned link (sse3 presign)')
    .argument('[dst]', 'local file or folder (default: the object\'s name here), or - for stdout')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable; default: found by the manifest\'s fingerprint'))
    .option('--version-id <id>', 'a specific object version')
    .option('--exact', 'the object whose key is exactly as written, ending in "/" (not a folder)')
    .addHelpText('after', examples('sse3 get s3://docs/2026/report.pdf', 'sse3 get s3://backups/data.tar - | tar x',
      'sse3 get s3://isos/big.iso /tmp/ --key env:ISO_KEY'));
  get.action(lazy(() => import('../../commands/get.js'), 'get'));
  return get;
}

function addHead(program: Program, lazy: Lazy) {
  return program.command('head')
    .description('show an object\'s size, dates, ETag, metadata, SSE-C state, whether the key matches, and its manifest record')
    .argument('<src>', 's3://BUCKET/KEY')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable; default: found by the manifest\'s fingerprint'))
    .option('--version-id <id>', 'a specific object version')
    .option('--exact', 'the object whose key is exactly as written, ending in "/" (not a folder)')
    .addHelpText('after', examples('sse3 head s3://docs/2026/report.pdf', 'sse3 head s3://docs/a.txt --key keychain:docs --json'))
    .action(lazy(() => import('../../commands/head.js'), 'head'));
}

function addPresign(program: Program, lazy: Lazy) {
  return program.command('presign')
    .description('print a presigned https link to an SSE-C object that works only with its key, which is never in the link')
    .argument('<src>', 's3://BUCKET/KEY')
    .option('--expires <duration>', 'how long the link works: 90s, 15m, 1h … 7d (SigV4\'s longest)', '15m')
    .option('--put', 'a link to upload the object (one PutObject, at most 5 GiB) instead of downloading it')
    .option('-k, --key <ref>', `${KEY_HELP}; download: default found as get finds it; --put: default env:SSE3_KEY, else the default key`)
    .option('--headers-file <path>', 'also write the three SSE-C headers (the key included) to a new 0600 file, for curl -H @PATH')
    .addHelpText('after', examples('sse3 presign s3://docs/report.pdf --expires 1h',
      'sse3 get "https://s3.example.com/docs/report.pdf?X-Amz-…" report.pdf --key file:docs.key   # on the other side',
      'sse3 presign s3://inbox/upload.tar --put --key keychain:inbox --headers-file h.txt && curl -H @h.txt -T upload.tar "LINK"'))
    .action(lazy(() => import('../../commands/presign.js'), 'presign'));
}

/** cp, returned for mv to take its options from. */
function addCp(program: Program, lazy: Lazy) {
  const cp = addUploadOptions(addFilterOptions(program.command('cp')
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
      'sse3 cp s3://docs/contract.pdf --version-id 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY s3://docs/contract.pdf --key keychain:docs-2027'));
  cp.action(lazy(() => import('../../commands/cp.js'), 'cp', cpOptions));
  return cp;
}

/** cp's (and mv's) options as its entry takes them: the tuning, the upload options as properties, the filter rules. */
type CpParsed = Parameters<typeof withTransferTuning>[0] & Parameters<typeof filterRules>[0] & Parameters<typeof withUploadProps>[0];
const cpOptions = <O extends CpParsed>(o: O, cmd: Parameters<typeof withTransferTuning>[1]) =>
  ({ ...withUploadProps(withTransferTuning(o, cmd)), filters: filterRules(o) });

/**
 * `to` gets every option of `from` (the same Option: parsed and checked alike), those named in `words` with their own
 * help text. Returns `to`.
 */
function withOptionsOf<C extends { addOption(option: Option): unknown }>(from: { readonly options: readonly Option[] }, to: C,
  words: Record<string, string> = {}): C {
  for (const option of from.options) {
    const own = words[option.long ?? ''];
    to.addOption(own === undefined ? option : Object.assign(Object.create(Object.getPrototypeOf(option) as object) as Option, option,
      { description: own }));
  }
  return to;
}

/** cat is get to stdout: get's options, taken from get's command (an option added to get is cat's too). */
function catCommand(program: Program, get: { readonly options: readonly Option[] }) {
  const cat = program.command('cat')
    .description('print an object on stdout (= sse3 get s3://BUCKET/KEY -), decrypted and SHA-256-checked')
    .argument('<src>', 's3://BUCKET/KEY');
  return withOptionsOf(get, cat).addHelpText('after', examples('sse3 cat s3://docs/notes.txt', 'sse3 cat s3://backups/data.tar | tar x'));
}

/** mv's own words for the options of cp's whose help speaks of copying. */
const MV_HELP: Record<string, string> = {
  '--recursive': 'move every file of a local folder, or every object under an s3 prefix',
  '--version-id': 'one version of the s3 source: copied, then that version deleted (not onto its own key)',
};

/**
 * mv: cp's options, taken from cp's command itself (an option added to cp is mv's too), since the copy is cp's own;
 * an option whose help speaks of copying gets mv's words.
 */
function moveCommand(program: Program, cp: { readonly options: readonly Option[] }) {
  const mv = program.command('mv')
    .description('move local → s3, s3 → local or s3 → s3: copy exactly as cp does, then delete each source once its copy is confirmed')
    .argument('<src>', 'local path, or s3://BUCKET/KEY (a prefix with --recursive)')
    .argument('<dst>', 'local path, or s3://BUCKET/KEY');
  return withOptionsOf(cp, mv, MV_HELP).addHelpText('after', examples('sse3 mv report.pdf s3://docs/2026/ --key keychain:docs',
    'sse3 mv --recursive s3://inbox/2026/ s3://archive/2026/ --key keychain:archive',
    'sse3 mv s3://backups/old.tar ./restored/'));
}
