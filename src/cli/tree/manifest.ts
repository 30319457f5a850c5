import { type Register, lazyActions } from '../lazy.js';
import { examples, jobsOption, shardOption } from '../options.js';
import type { Program } from '../program.js';

export function addManifestCommands(program: Program, register: Register): void {
  const lazy = lazyActions(register);
  const manifest = program.command('manifest').description('inspect, export, import, rebuild the local manifest, or declare endpoint aliases');
  manifest.command('list')
    .description('list recorded object versions and their key fingerprints (NDJSON with --json)')
    .argument('[scope]', 's3://BUCKET[/PREFIX]')
    .action(lazy(() => import('../../commands/manifest-read.js'), 'list'));
  manifest.command('export')
    .description('print the whole manifest as one JSON document (sse3 manifest import reads it back)')
    .action(lazy(() => import('../../commands/manifest-read.js'), 'exportManifest'));
  manifest.command('import')
    .description('add what an export (JSON) or a backup (from the backups folder) holds; the manifest\'s own records win')
    .argument('<file>', 'a file written by sse3 manifest export, or a manifest backup')
    .addHelpText('after', examples('sse3 manifest export > manifest.json && sse3 manifest import manifest.json',
      'sse3 manifest import ~/.local/share/sse3/backups/manifest-20261127T101500123Z.db'))
    .action(lazy(() => import('../../commands/manifest-admin.js'), 'importManifest'));
  manifest.command('alias')
    .description('declare OLD another name of the server NEW: its records move to NEW, and lookups through OLD find them')
    .argument('[old]', 'https:// endpoint URL that names the same server')
    .argument('[new]', 'https:// endpoint URL the records are kept under')
    .addHelpText('after', examples('sse3 manifest alias https://minio.lan:9000 https://192.168.1.20:9000', 'sse3 manifest alias'))
    .action(lazy(() => import('../../commands/manifest-admin.js'), 'alias'));
  manifest.command('rebuild')
    .description('rebuild entries from the sse3-fp tags of the objects under a bucket or prefix (a damaged manifest is moved aside)')
    .argument('<scope>', 's3://BUCKET[/PREFIX]')
    .addOption(shardOption())
    .addHelpText('after', examples('sse3 manifest rebuild s3://backups', 'sse3 manifest rebuild s3://docs/2026/'))
    .action(lazy(() => import('../../commands/manifest.js'), 'rebuild'));
  manifest.command('pull')
    .description('bring the manifest up to date with a bucket others write to: list every version, read the tags only of versions ' +
      'new or changed since the last pull, remove the records of versions gone')
    .argument('<scope>', 's3://BUCKET[/PREFIX]')
    .addOption(jobsOption('tag reads in parallel'))
    .addOption(shardOption())
    .addHelpText('after', examples('sse3 manifest pull s3://team-backups', 'sse3 manifest pull s3://team-backups/2026/ --json'))
    .action(lazy(() => import('../../commands/manifest.js'), 'pull'));
}
