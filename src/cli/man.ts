import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { ExitCode } from '../errors.js';

/**
 * sse3(1), written from the same Commander definitions as --help and the completion spec (the build writes it to
 * dist/man/sse3.1, which npm links where man finds it after a global install), so neither can drift from the other.
 */

/** What each exit status means, in one line (the README's table says more). */
const EXIT_STATUSES: Array<[ExitCode, string]> = [
  [ExitCode.OK, 'success'],
  [ExitCode.FAILED, 'the operation failed (missing bucket or object, access denied, local I/O, another writer changed the object ' +
    'first, some objects of a batch failed)'],
  [ExitCode.USAGE, 'usage: an unknown command or option, a bad argument or option value, a key on the command line'],
  [ExitCode.KEY, 'key problem: missing, unreadable, malformed, too open, or the key does not open the object'],
  [ExitCode.INTEGRITY, 'integrity or encryption check failed: SHA-256 or size mismatch, a write not SSE-C encrypted'],
  [ExitCode.UNREACHABLE, 'server unreachable, timed out, cut a transfer short, or its TLS certificate is not trusted'],
  [ExitCode.INTERRUPTED, 'interrupted (Ctrl-C): temporary files removed, multipart uploads aborted'],
  [ExitCode.TERMINATED, 'terminated (SIGTERM): the same clean-up as Ctrl-C'],
];

const ENVIRONMENT: Array<[string, string]> = [
  ['SSE3_KEY', 'a key (base64, hex or a 32-character text secret) that put, cp and sync encrypt with when --key is not given; ' +
    'removed from sse3\'s environment once read'],
  ['SSE3_HOME', 'the folder of the manifest (manifest.db) and the key folder (keys/)'],
  ['AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, AWS_CA_BUNDLE', 'as for the AWS CLI; ~/.aws/config and ~/.aws/credentials are read as it reads them'],
  ['NO_COLOR', 'no colour'],
];

/** Text as roff reads it literally: backslashes escaped, no line taken for a request, dashes as dashes. */
function roff(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-').split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line)).join('\n');
}

const bold = (text: string) => `\\fB${roff(text)}\\fR`;

function optionEntry(o: Option): string[] {
  const fallback = o.defaultValue === undefined || o.negate || typeof o.defaultValue === 'boolean' ? ''
    : ` (default: ${Array.isArray(o.defaultValue) ? o.defaultValue.join(', ') : String(o.defaultValue)})`;
  const choices = o.argChoices ? ` (one of: ${o.argChoices.join(', ')})` : '';
  return ['.TP', bold(o.flags), roff(`${o.description}${choices}${fallback}`)];
}

function commandSection(cmd: CommandUnknownOpts, path: string[]): string[] {
  const name = [...path, cmd.name()];
  const visible = cmd.createHelp().visibleCommands(cmd).filter((c) => cmd.commands.includes(c));
  const lines: string[] = [];
  if (path.length > 0) {
    lines.push('.SS', `${bold(name.join(' '))} ${roff(cmd.usage())}`, roff(cmd.description()));
    for (const arg of cmd.registeredArguments) {
      if (arg.description) lines.push('.TP', `\\fI${roff(arg.name())}\\fR`, roff(arg.description));
    }
    for (const o of cmd.options) if (!o.hidden) lines.push(...optionEntry(o));
  }
  for (const sub of visible) lines.push(...commandSection(sub, path.length > 0 ? name : [cmd.name()]));
  return lines;
}

export function manPage(program: CommandUnknownOpts, version: string): string {
  const lines = [
    `.TH SSE3 1 "" "sse3 ${roff(version)}" "User Commands"`, '.nh', '.ad l',
    '.SH NAME', `sse3 \\- ${roff(program.description().split('\n')[0].replace(/:$/, ''))}`,
    '.SH SYNOPSIS', `${bold('sse3')} [\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]`,
    '.SH DESCRIPTION', roff(program.description().replace(/\n/g, ' ')),
    'Keys are given as references: \\fBfile:\\fIPATH\\fR, \\fBenv:\\fIVAR\\fR or \\fBkeychain:\\fINAME\\fR \\(em never the key itself.',
    '.SH GLOBAL OPTIONS',
    ...program.options.filter((o) => !o.hidden).flatMap(optionEntry),
    '.SH COMMANDS',
    ...commandSection(program, []),
    '.SH EXIT STATUS',
    ...EXIT_STATUSES.flatMap(([code, meaning]) => ['.TP', bold(String(code)), roff(meaning)]),
    '.SH ENVIRONMENT',
    ...ENVIRONMENT.flatMap(([name, meaning]) => ['.TP', bold(name), roff(meaning)]),
    '.SH SEE ALSO', '\\fBaws\\fR(1); the README of sse3 for the full reference.',
  ];
  return lines.join('\n') + '\n';
}
