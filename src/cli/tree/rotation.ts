import { Option } from '@commander-js/extra-typings';
import { type Register, lazyActions } from '../lazy.js';
import { candidateKeysOption, collect, concurrencyOption, examples, fingerprintArg, jobsOption, KEY_HELP, partSizeOption, serverSideOption,
  shardOption, withSmallJobs, withTransferTuning } from '../options.js';
import type { Program } from '../program.js';

/** Keeping objects under keys sse3 knows: rotate, verify, adopt. */
export function addRotationCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  program.command('rotate')
    .description('re-encrypt objects in place under a new key, crash-safe: the intent is journalled before any write')
    .argument('[target]', 's3://BUCKET/KEY, or s3://BUCKET/PREFIX/ with --recursive or --fingerprint')
    .option('--to <ref>', 'the new key')
    .option('--from <ref>', 'the current key, one (default: found by the manifest; for several possible keys use --key)', collect)
    .option('-r, --recursive', 'every object under the prefix')
    .addOption(new Option('--fingerprint <fp>', 'every object the manifest records under this key (within s3://BUCKET[/PREFIX] when given)').argParser(fingerprintArg('--fingerprint')))
    .option('--resume', 'settle rotations an interrupted sse3 left, and finish them; with a scope (-r, --fingerprint), ' +
      'then rotate the rest of it')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable: keys that may open the objects (tried by fingerprint) ' +
      'or that interrupted rotations need, besides those sse3 finds by itself'))
    .addOption(jobsOption('objects in parallel with --recursive or --fingerprint', '8; 32 at once for objects under 1 MiB'))
    .addOption(shardOption())
    .addOption(serverSideOption())
    .addOption(partSizeOption())
    .addOption(concurrencyOption())
    .addHelpText('after', examples('sse3 rotate s3://docs/contract.pdf --to keychain:docs-2027',
      'sse3 rotate s3://docs/2026/ --recursive --to keychain:docs-2027',
      'sse3 rotate --fingerprint 88f8aee7c9ea43f317a9 --to keychain:docs-2027',
      'sse3 rotate s3://docs/2026/ --fingerprint 88f8aee7c9ea43f317a9 --to keychain:docs-2027',
      'sse3 rotate s3://docs/ -r --to keychain:docs-2027 --key file:old-a.key --key file:old-b.key', 'sse3 rotate --resume',
      'sse3 rotate --resume --key file:/media/usb/docs-2027.key',
      'sse3 rotate s3://docs --recursive --to keychain:docs-2027 --shard 2/4 --resume'))
    .action(lazy(() => import('../../commands/rotate.js'), 'rotate', withTransferTuning));

  program.command('verify')
    .description('check every manifest entry in scope: does the recorded key open it (and, with --deep, does its SHA-256 match)')
    .argument('[scope]', 's3://BUCKET[/PREFIX] (default: everything recorded for this endpoint)')
    .option('--deep', 'also download each object and check its SHA-256')
    .addOption(candidateKeysOption('-k, --key <ref>', 'repeatable: keys to use besides those sse3 finds by itself'))
    .addOption(jobsOption('objects checked in parallel', '32, each one HEAD; 8 with --deep'))
    .addOption(shardOption())
    .addHelpText('after', examples('sse3 verify', 'sse3 verify s3://backups/2026/ --deep', 'sse3 verify --json | jq .counts',
      'sse3 verify s3://archive --key file:/media/usb/archive.key'))
    .action(lazy(() => import('../../commands/verify.js'), 'verify', withSmallJobs));

  program.command('adopt')
    .description('bring existing SSE-C objects under sse3\'s care: find each one\'s key among the candidates, record and tag it')
    .argument('<scope>', 's3://BUCKET[/PREFIX]')
    .option('-k, --key <ref>', `a candidate ${KEY_HELP}; repeatable; the keys sse3 finds by itself are candidates too`, collect)
    .option('--hash', 'also download each adopted object and record its plaintext SHA-256')
    .option('--encrypt-plain', 'encrypt plain objects in place with the first --key (journalled like a rotation)')
    .addOption(jobsOption('objects in parallel'))
    .addOption(shardOption())
    .addHelpText('after', examples('sse3 adopt s3://backups', 'sse3 adopt s3://backups/2024/ --key file:sse-c.key --key keychain:old',
      'sse3 adopt s3://backups --hash --json | jq -c \'select(.status == "no-key")\''))
    .action(lazy(() => import('../../commands/adopt.js'), 'adopt'));
}
