import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { ExitCode, Sse3Error } from './errors.js';
import { takeEnvKey } from './keys/env.js';
import type { GlobalOptions } from './options.js';
import { Output } from './output/output.js';
import { removeLiveTempFiles } from './core/transfer/tempfiles.js';
import { damagedManifest, isDamage, listBackups } from './manifest/backup.js';
import { onHomeWarning } from './manifest/files.js';
import { sse3Paths } from './paths.js';
import type { CommandSpec } from './completion/complete.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const positiveInt = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number.`);
  return n;
};
const MiB = 1024 * 1024;

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

const KEY_HELP = 'key reference: file:PATH, env:VAR or keychain:NAME (never the key itself)';

/** Options that may be given several times collect their values in order. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
/** --key as candidates: each object is opened with the given key that has its recorded fingerprint. */
const candidateKeysOption = (flags: string, what: string) => new Option(flags, `${KEY_HELP}; ${what}`).argParser(collect);

/** What a command does once its options are parsed: main() runs it with the output and the Ctrl-C signal. */
type Action = (out: Output, signal: AbortSignal) => Promise<void>;
type Register = (action: Action, g: GlobalOptions) => void;

/**
 * The program with sse3's global options, accepted before or after the command name. Error handling is set here,
 * before any command is added, because subcommands inherit it only when they are created.
 */
function newProgram(output: { outputError: (str: string) => void }) {
  return new Command('sse3')
    .exitOverride()
    .configureOutput({ outputError: output.outputError })
    .description('S3 server-side encryption with customer-provided keys (SSE-C), done safely:\n' +
      'keys never on the command line, a manifest of which key encrypted which object, end-to-end SHA-256 checks.')
    .version(version, '-V, --version')
    .option('--endpoint-url <url>', 'S3 endpoint (default: AWS_ENDPOINT_URL or the profile\'s endpoint_url); https only')
    .option('--region <region>', 'region (default: AWS_REGION or the profile\'s)')
    .option('--profile <name>', 'AWS profile for credentials and settings')
    .option('--ca-bundle <file>', 'PEM CA certificates to trust (default: AWS_CA_BUNDLE)')
    .addOption(new Option('--timeout <seconds>', 'fail a request when the server is silent this long')
      .argParser(positiveInt('--timeout')).default(60))
    .addOption(new Option('--checksums <mode>', 'request checksums: when_required works with Ceph RGW and older MinIO')
      .choices(['when_required', 'when_supported'] as const).default('when_required' as const))
    .option('--json', 'print one JSON document on stdout (errors too)')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--no-color', 'no colour (also: NO_COLOR=1)')
    .option('--debug', 'print stack traces of errors (never keys)')
    .showSuggestionAfterError(true);
}
type Program = ReturnType<typeof newProgram>;

/** S3 takes parts of 5 MiB to 5 GiB (the last may be smaller): a size outside that is refused before anything is sent. */
function partSizeBytes(mib: number | undefined): number | undefined {
  if (mib === undefined) return undefined;
  if (mib < 5 || mib > 5120) {
    throw new Sse3Error('USAGE', `--part-size ${mib} is out of range: S3 takes parts of 5 to 5120 MiB (5 GiB)`,
      'leave it out and sse3 picks one, or pass e.g. --part-size 64');
  }
  return mib * MiB;
}

/** Part size and parts in flight, for every command that moves bytes. Without --part-size sse3 picks one. */
const partSizeOption = () => new Option('--part-size <MiB>',
  'multipart part size in MiB, 5 to 5120 (default: 8, grown to stay within 10,000 parts)').argParser(positiveInt('--part-size'));
const concurrencyOption = () => new Option('--concurrency <n>', 'parts in flight per object').argParser(positiveInt('--concurrency')).default(4);
const jobsOption = (what: string) => new Option('--jobs <n>', what).argParser(positiveInt('--jobs')).default(8);
/** Small objects in flight: the command's default (more than --jobs's default) unless --jobs was given. */
const smallJobs = (cmd: { getOptionValueSource(key: string): string | undefined }, jobs: number) =>
  cmd.getOptionValueSource('jobs') === 'default' ? undefined : jobs;
const serverSideOption = () => new Option('--server-side <mode>', 'server-side copy: auto (when the server can) or never (always stream)')
  .choices(['auto', 'never'] as const).default('auto' as const);

function addKeyCommands(program: Program, run: Register): void {
  program.command('keygen')
    .description('create a new random 256-bit key at REF (a file with mode 0600, or the keychain); never overwrites')
    .argument('<ref>', 'file:PATH or keychain:NAME')
    .addOption(new Option('--format <format>', 'key file format').choices(['raw', 'base64'] as const).default('raw' as const))
    .addHelpText('after', examples('sse3 keygen keychain:backups', 'sse3 keygen file:~/.config/sse3/keys/prod.key',
      'sse3 keygen --format base64 file:./ci.key'))
    .action((ref, o, cmd) => run(async (out) => {
      const { keygen } = await import('./commands/keygen.js');
      await keygen(ref, { format: o.format }, out);
    }, cmd.optsWithGlobals()));

  const keys = program.command('keys').description('the keys sse3 can find by itself, and bringing existing keys under its care');
  keys.command('list', { isDefault: true })
    .description('list the keys sse3 can find by itself (SSE3_KEY, key folder, keychain): names and fingerprints, never keys')
    .addHelpText('after', examples('sse3 keys', 'sse3 keys list --json | jq -r \'.keys[].fingerprint\''))
    .allowExcessArguments()
    .action((_o, cmd) => run(async (out) => {
      // `sse3 keys WORD` lands here when WORD is no keys command.
      if (cmd.args.length) {
        // A long word may be a key typed in the wrong place: it is not echoed.
        const word = cmd.args[0].length >= 32 ? 'word (not shown: it may be a key)' : `"${cmd.args[0]}"`;
        throw new Sse3Error('USAGE', `unknown keys command ${word}`, 'try: sse3 keys list, or sse3 keys import REF --from FILE');
      }
      const { keysList } = await import('./commands/keys.js');
      await keysList(out);
    }, cmd.optsWithGlobals()));
  keys.command('import')
    .description('store an existing key at REF (a file with mode 0600, or the keychain), read from a file or stdin; never overwrites')
    .argument('<ref>', 'file:PATH or keychain:NAME')
    .option('--from <file>', 'the file holding the key, or - for stdin (never the key itself)')
    .addOption(new Option('--format <format>', 'how the key is written (default: detected)').choices(['raw', 'text', 'base64', 'hex'] as const))
    .allowExcessArguments()
    .addHelpText('after', examples('sse3 keys import file:~/.config/sse3/keys/old.key --from sse-c.key',
      'printf %s "$secret" | sse3 keys import keychain:guide --from -', 'sse3 keys import keychain:ci --from ci.b64 --format base64'))
    .action((ref, o, cmd) => run(async (out) => {
      if (cmd.args.length > 1) {
        throw new Sse3Error('USAGE', 'keys are never taken from the command line: sse3 keys import takes only REF and --from',
          'consider a key typed as an argument exposed (ps shows it to every user); pass --from FILE, or --from - for stdin');
      }
      const { keysImport } = await import('./commands/keys-import.js');
      await keysImport(ref, o, out);
    }, cmd.optsWithGlobals()));
  keys.command('usage')
    .description('which keys the objects in buckets need, read from their sse3-fp tags whoever wrote them: the check before ' +
      'retiring a key (with FP: the objects that need it)')
    .argument('<scopes...>', '[FP] s3://BUCKET[/PREFIX]...')
    .option('--versions', 'every object version, not only current ones (older versions need their keys too)')
    .addOption(jobsOption('tag reads in parallel'))
    .addHelpText('after', examples('sse3 keys usage s3://backups s3://archive', 'sse3 keys usage 0123456789abcdef0123 s3://backups --versions',
      'sse3 keys usage s3://backups --json | jq .keys'))
    .action((scopes, o, cmd) => run(async (out, signal) => {
      const { keysUsage } = await import('./commands/keys-usage.js');
      await keysUsage(scopes, o, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
}

function addTransferCommands(program: Program, run: Register): void {
  program.command('put')
    .description('upload a file (or - for stdin) encrypted with an SSE-C key, and record it in the manifest')
    .argument('<src>', 'local file, or - for stdin')
    .argument('<dst>', 's3://BUCKET/KEY (ending in / takes the file\'s name)')
    .option('-k, --key <ref>', `${KEY_HELP}; default env:SSE3_KEY when set`)
    .option('--content-type <type>', 'Content-Type to store')
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 put report.pdf s3://docs/2026/ --key keychain:docs',
      'tar c data | sse3 put - s3://backups/data.tar --key file:backup.key',
      'sse3 put big.iso s3://isos/big.iso --key env:ISO_KEY --part-size 64'))
    .action((src, dst, o, cmd) => run(async (out, signal) => {
      const { put } = await import('./commands/put.js');
      await put(src, dst, { ...o, partSize: partSizeBytes(o.partSize) }, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));

  program.command('get')
    .description('download and decrypt an object, verifying its SHA-256; the key is found through the manifest')
    .argument('<src>', 's3://BUCKET/KEY')
    .argument('[dst]', 'local file or folder (default: the object\'s name here), or - for stdout')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable; default: found by the manifest\'s fingerprint'))
    .option('--version-id <id>', 'a specific object version')
    .addHelpText('after', examples('sse3 get s3://docs/2026/report.pdf', 'sse3 get s3://backups/data.tar - | tar x',
      'sse3 get s3://isos/big.iso /tmp/ --key env:ISO_KEY'))
    .action((src, dst, o, cmd) => run(async (out, signal) => {
      const { get } = await import('./commands/get.js');
      await get(src, dst, o, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));

  program.command('head')
    .description('show an object\'s size, dates, ETag, metadata, SSE-C state, whether the key matches, and its manifest record')
    .argument('<src>', 's3://BUCKET/KEY')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable; default: found by the manifest\'s fingerprint'))
    .option('--version-id <id>', 'a specific object version')
    .addHelpText('after', examples('sse3 head s3://docs/2026/report.pdf', 'sse3 head s3://docs/a.txt --key keychain:docs --json'))
    .action((src, o, cmd) => run(async (out, signal) => {
      const { head } = await import('./commands/head.js');
      await head(src, o, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));

  program.command('cp')
    .description('copy local → s3 (as put), s3 → local (as get) or s3 → s3 (server-side where possible, re-keying on the way)')
    .argument('<src>', 'local path, - for stdin, or s3://BUCKET/KEY (a prefix with --recursive)')
    .argument('<dst>', 'local path, - for stdout, or s3://BUCKET/KEY')
    .addOption(candidateKeysOption('-k, --key <ref>', 'the key that encrypts an s3 destination (s3 → s3: default the ' +
      'source\'s key); s3 → local: keys that may open the sources, repeatable'))
    .addOption(candidateKeysOption('--source-key <ref>', 'keys that may open the source, repeatable (default: found by the manifest)'))
    .option('-r, --recursive', 'copy a local folder or every object under an s3 prefix')
    .addOption(jobsOption('objects in parallel with --recursive (default 8; 32 at once for objects under 1 MiB)'))
    .addOption(serverSideOption())
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 cp s3://prod/db.dump s3://archive/2026/db.dump --key keychain:archive',
      'sse3 cp --recursive ./photos s3://backups/photos/ --key keychain:backups',
      'sse3 cp --recursive s3://backups/photos/ ./restored/'))
    .action((src, dst, o, cmd) => run(async (out, signal) => {
      const { cp } = await import('./commands/cp.js');
      await cp(src, dst, { ...o, partSize: partSizeBytes(o.partSize), smallJobs: smallJobs(cmd, o.jobs) }, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
}

function addSyncCommands(program: Program, run: Register): void {
  // --exclude and --include are one list in command-line order: the last pattern that matches a path decides.
  const filters: Array<{ exclude: string } | { include: string }> = [];
  const rule = (kind: 'exclude' | 'include') => (glob: string) => {
    filters.push(kind === 'exclude' ? { exclude: glob } : { include: glob });
    return filters;
  };
  program.command('sync')
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
    .option('--checksum', 'read every local file and compare its SHA-256 with the recorded one (finds edits that kept size and mtime)')
    .option('--exclude <glob>', 'leave out paths matching this gitignore-style pattern (repeatable)', rule('exclude'))
    .option('--include <glob>', 'take back paths an earlier --exclude left out (repeatable)', rule('include'))
    .addOption(jobsOption('files transferred in parallel'))
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 sync ./photos s3://backups/photos/ --key keychain:backups',
      'sse3 sync ./photos s3://backups/photos/ --delete --dry-run', 'sse3 sync s3://backups/photos/ ./restored/',
      'sse3 sync s3://backups/photos/ s3://archive/photos/ --key keychain:archive',
      'sse3 sync . s3://backups/src/ --exclude node_modules/ --exclude "*.log" --include important.log'))
    .action((src, dst, o, cmd) => run(async (out, signal) => {
      const { sync } = await import('./commands/sync.js');
      await sync(src, dst, { ...o, partSize: partSizeBytes(o.partSize), filters }, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
}

function addRotationCommands(program: Program, run: Register): void {
  program.command('rotate')
    .description('re-encrypt objects in place under a new key, crash-safe: the intent is journalled before any write')
    .argument('[target]', 's3://BUCKET/KEY, or s3://BUCKET/PREFIX/ with --recursive')
    .option('--to <ref>', 'the new key')
    .option('--from <ref>', 'the current key (default: found by the manifest)')
    .option('-r, --recursive', 'every object under the prefix')
    .option('--fingerprint <fp>', 'every object the manifest records under this key')
    .option('--resume', 'settle rotations an interrupted sse3 left, and finish them')
    .addOption(candidateKeysOption('-k, --key <ref>', 'with --resume, repeatable: keys those rotations need that sse3 ' +
      'cannot find by itself'))
    .addOption(jobsOption('objects in parallel with --recursive or --fingerprint (default 8; 32 at once for objects under 1 MiB)'))
    .addOption(serverSideOption())
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 rotate s3://docs/contract.pdf --to keychain:docs-2027',
      'sse3 rotate s3://docs/2026/ --recursive --to keychain:docs-2027',
      'sse3 rotate --fingerprint 88f8aee7c9ea43f317a9 --to keychain:docs-2027', 'sse3 rotate --resume',
      'sse3 rotate --resume --key file:/media/usb/docs-2027.key'))
    .action((target, o, cmd) => run(async (out, signal) => {
      const { rotate } = await import('./commands/rotate.js');
      await rotate(target, { ...o, partSize: partSizeBytes(o.partSize), smallJobs: smallJobs(cmd, o.jobs) }, cmd.optsWithGlobals(), out,
        signal);
    }, cmd.optsWithGlobals()));

  program.command('verify')
    .description('check every manifest entry in scope: does the recorded key open it (and, with --deep, does its SHA-256 match)')
    .argument('[scope]', 's3://BUCKET[/PREFIX] (default: everything recorded for this endpoint)')
    .option('--deep', 'also download each object and check its SHA-256')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable: keys to use besides those sse3 finds by itself'))
    .addOption(jobsOption('objects checked in parallel (default 8 with --deep, else 32)'))
    .addHelpText('after', examples('sse3 verify', 'sse3 verify s3://backups/2026/ --deep', 'sse3 verify --json | jq .counts',
      'sse3 verify s3://archive --key file:/media/usb/archive.key'))
    .action((scope, o, cmd) => run(async (out, signal) => {
      const { verify } = await import('./commands/verify.js');
      await verify(scope, { ...o, smallJobs: smallJobs(cmd, o.jobs) }, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
}

function addTakeOverCommands(program: Program, run: Register): void {
  program.command('adopt')
    .description('bring existing SSE-C objects under sse3\'s care: find each one\'s key among the candidates, record and tag it')
    .argument('<scope>', 's3://BUCKET[/PREFIX]')
    .option('-k, --key <ref>', `a candidate ${KEY_HELP}; repeatable; the keys sse3 finds by itself are candidates too`, collect)
    .option('--hash', 'also download each adopted object and record its plaintext SHA-256')
    .option('--encrypt-plain', 'encrypt plain objects in place with the first --key (journalled like a rotation)')
    .addOption(jobsOption('objects in parallel'))
    .addHelpText('after', examples('sse3 adopt s3://backups', 'sse3 adopt s3://backups/2024/ --key file:sse-c.key --key keychain:old',
      'sse3 adopt s3://backups --hash --json | jq -c \'select(.status == "no-key")\''))
    .action((scope, o, cmd) => run(async (out, signal) => {
      const { adopt } = await import('./commands/adopt.js');
      await adopt(scope, o, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
}

function addObjectCommands(program: Program, run: Register): void {
  program.command('ls')
    .description('list buckets, or objects with their encryption, key fingerprint and whether that key is here')
    .argument('[target]', 's3://BUCKET[/PREFIX] (none: the buckets)')
    .option('-r, --recursive', 'every object under the prefix, not only one folder deep')
    .option('--versions', 'every object version')
    .option('--fast', 'no request per object: objects the manifest does not know show as unknown')
    .addOption(jobsOption('objects looked up in parallel'))
    .addHelpText('after', examples('sse3 ls', 'sse3 ls s3://backups/2026/', 'sse3 ls s3://backups --recursive --json | jq -c \'select(.keyAvailable == false)\''))
    .action((target, o, cmd) => run(async (out, signal) => {
      const { ls } = await import('./commands/ls.js');
      await ls(target, o, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));

  program.command('rm')
    .description('delete objects (no key needed) and their manifest records')
    .argument('<target>', 's3://BUCKET/KEY, or s3://BUCKET[/PREFIX] with --recursive')
    .option('-r, --recursive', 'every object under the prefix')
    .option('--version-id <id>', 'one version of the object')
    .option('--all-versions', 'every version (and delete marker) of the object, or under the prefix with --recursive')
    .option('--dry-run', 'show what would be deleted, delete nothing')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal for --recursive and --all-versions)')
    .addOption(jobsOption('objects deleted in parallel'))
    .addHelpText('after', examples('sse3 rm s3://docs/old.pdf', 'sse3 rm s3://backups/2019/ --recursive --dry-run',
      'sse3 rm s3://backups/2019/ --recursive --all-versions --yes'))
    .action((target, o, cmd) => run(async (out, signal) => {
      const { rm } = await import('./commands/rm.js');
      await rm(target, o, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
}

function addManifestCommands(program: Program, run: Register): void {
  const manifest = program.command('manifest').description('inspect, export, import, rebuild the local manifest, or declare endpoint aliases');
  manifest.command('list')
    .description('list recorded object versions and their key fingerprints (NDJSON with --json)')
    .argument('[scope]', 's3://BUCKET[/PREFIX]')
    .action((scope, _o, cmd) => run(async (out) => {
      const { list } = await import('./commands/manifest.js');
      list(scope, out);
    }, cmd.optsWithGlobals()));
  manifest.command('export')
    .description('print the whole manifest as one JSON document (sse3 manifest import reads it back)')
    .action((_o, cmd) => run(async (out) => {
      const { exportManifest } = await import('./commands/manifest.js');
      exportManifest(out);
    }, cmd.optsWithGlobals()));
  manifest.command('import')
    .description('add what an export (JSON) or a backup (from the backups folder) holds; the manifest\'s own records win')
    .argument('<file>', 'a file written by sse3 manifest export, or a manifest backup')
    .addHelpText('after', examples('sse3 manifest export > manifest.json && sse3 manifest import manifest.json',
      'sse3 manifest import ~/.local/share/sse3/backups/manifest-20261127T101500123Z.db'))
    .action((file, _o, cmd) => run(async (out) => {
      const { importManifest } = await import('./commands/manifest-admin.js');
      await importManifest(file, out);
    }, cmd.optsWithGlobals()));
  manifest.command('alias')
    .description('declare OLD another name of the server NEW: its records move to NEW, and lookups through OLD find them')
    .argument('[old]', 'https:// endpoint URL that names the same server')
    .argument('[new]', 'https:// endpoint URL the records are kept under')
    .addHelpText('after', examples('sse3 manifest alias https://minio.lan:9000 https://192.168.1.20:9000', 'sse3 manifest alias'))
    .action((from, to, _o, cmd) => run(async (out) => {
      const { alias } = await import('./commands/manifest-admin.js');
      await alias(from, to, out);
    }, cmd.optsWithGlobals()));
  manifest.command('rebuild')
    .description('rebuild entries from the sse3-fp tags of the objects under a bucket or prefix (a damaged manifest is moved aside)')
    .argument('<scope>', 's3://BUCKET[/PREFIX]')
    .addHelpText('after', examples('sse3 manifest rebuild s3://backups', 'sse3 manifest rebuild s3://docs/2026/'))
    .action((scope, _o, cmd) => run(async (out, signal) => {
      const { rebuild } = await import('./commands/manifest.js');
      await rebuild(scope, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
  manifest.command('pull')
    .description('bring the manifest up to date with a bucket others write to: list every version, read the tags only of versions ' +
      'new or changed since the last pull, remove the records of versions gone')
    .argument('<scope>', 's3://BUCKET[/PREFIX]')
    .addOption(jobsOption('tag reads in parallel'))
    .addHelpText('after', examples('sse3 manifest pull s3://team-backups', 'sse3 manifest pull s3://team-backups/2026/ --json'))
    .action((scope, o, cmd) => run(async (out, signal) => {
      const { pull } = await import('./commands/manifest.js');
      await pull(scope, o, cmd.optsWithGlobals(), out, signal);
    }, cmd.optsWithGlobals()));
}

function addCompletionCommands(program: Program, run: Register): void {
  program.command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', examples('sse3 completion bash > ~/.local/share/bash-completion/completions/sse3',
      'sse3 completion zsh > "${fpath[1]}/_sse3"', 'sse3 completion fish > ~/.config/fish/completions/sse3.fish'))
    .action((shell, _o, cmd) => run(async (out) => {
      if (!['bash', 'zsh', 'fish'].includes(shell)) {
        throw new Sse3Error('USAGE', `no completion for shell "${shell}"`, 'choose bash, zsh or fish');
      }
      out.text(readFileSync(new URL(`../../completions/sse3.${shell}`, import.meta.url), 'utf8'));
    }, cmd.optsWithGlobals()));

  program.command('__spec', { hidden: true }).action(() => run(async (out) => {
    out.text(JSON.stringify(commandSpec(program as unknown as Command)) + '\n');
  }, {}));
}

/** Build the command tree. `run` receives the action to perform once options are parsed. */
function buildProgram(run: Register, output: { outputError: (str: string) => void } = { outputError: () => undefined }): Program {
  const program = newProgram(output);
  addKeyCommands(program, run);
  addTransferCommands(program, run);
  addSyncCommands(program, run);
  addRotationCommands(program, run);
  addTakeOverCommands(program, run);
  addObjectCommands(program, run);
  addManifestCommands(program, run);
  addCompletionCommands(program, run);
  return program;
}

/** The command tree as data, for the completion answers that must not load Commander. */
function commandSpec(cmd: Command): CommandSpec {
  return {
    name: cmd.name(),
    options: [...cmd.options.map((o) => ({
      flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
      takesValue: o.required || o.optional, ...(o.argChoices ? { choices: o.argChoices } : {}),
    })), { flags: ['-h', '--help'], takesValue: false }],
    commands: cmd.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden).map((c) => commandSpec(c as Command)),
  };
}

/** The words of argv before a "--" (after it everything is an argument, even "--json"). */
const optionWords = (argv: string[]): string[] => {
  const end = argv.indexOf('--', 2);
  return argv.slice(2, end === -1 ? undefined : end);
};

/** A usage error: one error line and a hint on stderr, and the error document on stdout with --json; exit 2. */
async function usageError(argv: string[], message: string, hint: string): Promise<ExitCode> {
  const words = optionWords(argv);
  const out = await new Output({ json: words.includes('--json'), color: words.includes('--no-color') ? false : undefined }).init();
  out.error(new Sse3Error('USAGE', message, hint));
  return ExitCode.USAGE;
}

/** The command path a usage error belongs to (e.g. "manifest list"), for its --help hint. */
function commandPathOf(program: Command, argv: string[]): string {
  const path: string[] = [];
  let node = program;
  for (const w of optionWords(argv)) {
    const sub = node.commands.find((c) => c.name() === w);
    if (!sub) continue;
    path.push(w);
    node = sub as Command;
  }
  return path.join(' ');
}

/** Parse argv into the action to run; a usage error or --help/--version gives its exit status instead. */
async function parse(argv: string[]): Promise<{ action: Action; g: GlobalOptions } | ExitCode> {
  let pending: { action: Action; g: GlobalOptions } | undefined;
  let commanderMessage = '';
  const program = buildProgram((action, g) => { pending = { action, g }; }, {
    // Commander's own error lines are reported by usageError, once, with sse3's hint (and JSON with --json).
    outputError: (str) => { commanderMessage ||= str.trim(); },
  });
  const where = () => commandPathOf(program as unknown as Command, argv);
  const helpHint = () => `run sse3 ${where() ? `${where()} ` : ''}--help for usage`;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return ExitCode.OK;
    if (e.code === 'commander.help') {
      // A command group given without its command (sse3 manifest): the usage is already on stderr.
      return usageError(argv, `say which command of "sse3 ${where()}" to run`, helpHint());
    }
    const [first, ...rest] = (commanderMessage || e.message).replace(/^error: /, '').split('\n');
    const suggestion = /\(?(Did you mean [^?]+\?)\)?/.exec(rest.join(' '))?.[1];
    return usageError(argv, first, suggestion ? `${suggestion} (${helpHint()})` : helpHint());
  }
  if (!pending) {
    program.outputHelp({ error: true });
    return usageError(argv, 'say which command to run', 'run sse3 --help for usage');
  }
  return pending;
}

/** Run an action with Ctrl-C (and SIGTERM) turned into a clean abort: temp files removed, exit 130. */
async function runAction(action: Action, out: Output): Promise<ExitCode> {
  const controller = new AbortController();
  // Every transfer of a batch listens on this one signal.
  setMaxListeners(0, controller.signal);
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    removeLiveTempFiles();
    if (interrupts > 1) process.exit(ExitCode.INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Said on stderr when the manifest is first opened (never into a --json document).
  onHomeWarning((message) => out.warn(message));
  try {
    await action(out, controller.signal);
    return ExitCode.OK;
  } catch (e) {
    // Data already streamed to stdout cannot be taken back: never claim otherwise.
    const err = controller.signal.aborted && !(e instanceof Sse3Error && e.code !== 'INTERRUPTED')
      ? new Sse3Error('INTERRUPTED', out.stdoutIsData ? 'interrupted; what already went to stdout is incomplete'
        : 'interrupted; nothing partial was kept')
      // Damage SQLite finds only when it reads a page: the manifest is named as at open, with the way back.
      : isDamage(e) ? damagedManifest(sse3Paths().manifestFile, e, listBackups(sse3Paths().manifestFile)[0]?.path) : e;
    out.error(err);
    return err instanceof Sse3Error ? err.exitCode : ExitCode.FAILED;
  } finally {
    onHomeWarning(undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Parse argv, run one command, and return the exit status. Never throws. */
export async function main(argv: string[]): Promise<number> {
  // Before anything can start a child process, whether or not this command uses the key.
  takeEnvKey(process.env, 'SSE3_KEY');
  const parsed = await parse(argv);
  if (typeof parsed === 'number') return parsed;
  return runAction(parsed.action, await new Output(parsed.g).init());
}
