import { readFileSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import { packageFile } from '../paths.js';
import type { Register } from './lazy.js';
import { positiveInt } from './options.js';
import { addCompletionCommands } from './tree/completion.js';
import { addKeyCommands } from './tree/keys.js';
import { addManifestCommands } from './tree/manifest.js';
import { addObjectCommands } from './tree/objects.js';
import { addRotationCommands } from './tree/rotation.js';
import { addSyncCommands } from './tree/sync.js';
import { addTransferCommands } from './tree/transfer.js';

const version = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;

/**
 * The program with sse3's global options, accepted before or after the command name. Error handling is set here,
 * before any command is added, because subcommands inherit it only when they are created: Commander throws instead of
 * exiting, and prints no error of its own (src/cli/usage.ts reports it once, with sse3's hint, and as JSON with --json).
 */
function newProgram() {
  return new Command('sse3')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .description('S3 server-side encryption with customer-provided keys (SSE-C), done safely:\n' +
      'keys never on the command line, a manifest of which key encrypted which object, end-to-end SHA-256 checks.')
    .version(version, '-V, --version')
    .option('--endpoint-url <url>', 'S3 endpoint (default: AWS_ENDPOINT_URL or the profile\'s endpoint_url); https only')
    .option('--region <region>', 'region (default: AWS_REGION or the profile\'s)')
    .option('--profile <name>', 'AWS profile for credentials and settings')
    .option('--ca-bundle <file>', 'PEM CA certificates to verify the server with, instead of the system\'s (default: AWS_CA_BUNDLE)')
    .addOption(new Option('--timeout <seconds>', 'fail a request when the server is silent this long')
      .argParser(positiveInt('--timeout')).default(60))
    .addOption(new Option('--checksums <mode>', 'request checksums: when_required works with Ceph RGW and older MinIO')
      .choices(['when_required', 'when_supported'] as const).default('when_required' as const))
    .option('--json', 'print JSON lines on stdout: one per result, then a summary line for many, an error line last')
    .option('-q, --quiet', 'print only results and failures: no progress, no ✓ lines, no summaries')
    .option('--no-color', 'no colour (also: NO_COLOR=1)')
    .option('--debug', 'print stack traces of errors (never keys)')
    .showSuggestionAfterError(true);
}
export type Program = ReturnType<typeof newProgram>;

/** The command tree. `register` receives the action of the command that was parsed. */
export function buildProgram(register: Register): Program {
  const program = newProgram();
  addKeyCommands(program, register);
  addTransferCommands(program, register);
  addSyncCommands(program, register);
  addRotationCommands(program, register);
  addObjectCommands(program, register);
  addManifestCommands(program, register);
  addCompletionCommands(program, register);
  return program;
}
