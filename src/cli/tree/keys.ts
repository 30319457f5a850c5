import { Option } from '@commander-js/extra-typings';
import { type Register, lazyActions } from '../lazy.js';
import { examples, jobsOption, shardOption } from '../options.js';
import type { Program } from '../program.js';

const keysGroup = (program: Program) =>
  program.command('keys').description('the keys sse3 can find by itself, and bringing existing keys under its care');

export function addKeyCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  program.command('keygen')
    .description('create a new random 256-bit key at REF (a file with mode 0600, or the keychain); never overwrites')
    .argument('<ref>', 'file:PATH or keychain:NAME')
    .addOption(new Option('--format <format>', 'key file format').choices(['raw', 'base64'] as const).default('raw' as const))
    .addHelpText('after', examples('sse3 keygen keychain:backups', 'sse3 keygen file:~/.config/sse3/keys/prod.key',
      'sse3 keygen --format base64 file:./ci.key'))
    .action(lazy(() => import('../../commands/keygen.js'), 'keygen'));

  const keys = keysGroup(program);
  keys.command('list', { isDefault: true })
    .description('list the keys sse3 can find by itself (SSE3_KEY, key folder, keychain): names and fingerprints, never keys')
    .addHelpText('after', examples('sse3 keys', 'sse3 keys list --json | jq -r \'.keys[].fingerprint\''))
    // `sse3 keys WORD` lands here when WORD is no keys command: the command says so in its own words.
    .allowExcessArguments()
    .action(lazy(() => import('../../commands/keys.js'), 'keysList'));
  keys.command('import')
    .description('store an existing key at REF (a file with mode 0600, or the keychain), read from a file or stdin; never overwrites')
    .argument('<ref>', 'file:PATH or keychain:NAME')
    .option('--from <file>', 'the file holding the key, or - for stdin (never the key itself)')
    .addOption(new Option('--format <format>', 'how the key is written (default: detected)').choices(['raw', 'text', 'base64', 'hex'] as const))
    // A key typed as a further argument is refused by the command, with what to do about it.
    .allowExcessArguments()
    .addHelpText('after', examples('sse3 keys import file:~/.config/sse3/keys/old.key --from sse-c.key',
      'printf %s "$secret" | sse3 keys import keychain:guide --from -', 'sse3 keys import keychain:ci --from ci.b64 --format base64'))
    .action(lazy(() => import('../../commands/keys-import.js'), 'keysImport'));
  keys.command('default')
    .description('the key put, cp, sync and rotate encrypt with under a bucket or folder when no --key (--to) is given; ' +
      'without arguments, every default')
    .argument('[ref]', 'file:PATH, env:VAR or keychain:NAME (with --unset: the scope)')
    .argument('[scope]', 's3://BUCKET[/PREFIX]')
    .option('--unset', 'remove the default of s3://BUCKET[/PREFIX]')
    .addHelpText('after', examples('sse3 keys default keychain:backups s3://my-bucket', 'sse3 keys default file:~/k/photos.key s3://my-bucket/photos/',
      'sse3 keys default', 'sse3 keys default --unset s3://my-bucket/photos/'))
    .action(lazy(() => import('../../commands/keys-default.js'), 'keysDefault'));
  keys.command('usage')
    .description('which keys the objects in buckets need, read from their sse3-fp tags whoever wrote them: the check before ' +
      'retiring a key (with FP: the objects that need it)')
    .argument('<scopes...>', '[FP] s3://BUCKET[/PREFIX]...')
    .option('--versions', 'every object version, not only current ones (older versions need their keys too)')
    .addOption(jobsOption('tag reads in parallel'))
    .addOption(shardOption())
    .addHelpText('after', examples('sse3 keys usage s3://backups s3://archive', 'sse3 keys usage 0123456789abcdef0123 s3://backups --versions',
      'sse3 keys usage s3://backups --json | jq .keys'))
    .action(lazy(() => import('../../commands/keys-usage.js'), 'keysUsage'));
  addHandOverAndRetire(keys, lazy);
}

/** Copies of a key (export) and retiring one (rm): the two that move or remove key material. */
function addHandOverAndRetire(keys: ReturnType<typeof keysGroup>, lazy: ReturnType<typeof lazyActions>): void {
  keys.command('export')
    .description('write a copy of the key at REF, for a backup or a teammate: to a new file (mode 0600, never overwriting) or to ' +
      'stdout (not a terminal, unless --force), in a form keys import reads')
    .argument('<ref>', 'file:PATH, env:VAR or keychain:NAME')
    .option('--to <target>', 'file:PATH, or - for stdout')
    .addOption(new Option('--format <format>', 'how the key is written (default: raw to a file, base64 to stdout)')
      .choices(['raw', 'base64', 'hex', 'text'] as const))
    .option('--force', 'write the key to stdout even when it is a terminal')
    .addHelpText('after', examples('sse3 keys export keychain:backups --to file:/media/usb/backups.key',
      'sse3 keys export keychain:backups --to - | gpg --symmetric > backups.key.gpg'))
    .action(lazy(() => import('../../commands/keys-export.js'), 'keysExport'));
  keys.command('rm')
    .description('remove a key file or keychain entry, unless this manifest records objects under it (--force: still never a key ' +
      'the latest whole-bucket scan found in use, nor a default key); asks first on a terminal')
    .argument('<ref>', 'file:PATH or keychain:NAME')
    .option('--force', 'remove it although this manifest records objects under it (never one a whole-bucket scan found in use)')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .addHelpText('after', examples('sse3 keys usage 88f8aee7c9ea43f317a9 s3://backups --versions', 'sse3 keys rm keychain:old-2025',
      'sse3 keys rm file:~/.config/sse3/keys/old.key --yes'))
    .action(lazy(() => import('../../commands/keys-rm.js'), 'keysRm'));
}
