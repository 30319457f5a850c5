// Shared by the reliability tests, besides all of harness.ts (whose start() runs sse3 so it can be killed mid-flight, and
// whose manifestRows and server* helpers give the manifest and server state as assertions see them): the manifest's
// export, files in the work folder, and control of the test gateway (scripts/rgw.sh) for the server-fault tests.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempFileOwner } from '../../src/core/transfer/tempfiles.js';
import { adminClient, type Home, type ManifestRow, requireEnv, ok } from '../e2e/harness.js';

export * from '../e2e/harness.js';

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const MiB = 1024 * 1024;

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
export const fileSha256 = (path: string): string => sha256(readFileSync(path));

export const workDir = (home: Home): string => join(home.dir, 'work');
export const workFiles = (home: Home): string[] => readdirSync(workDir(home)).sort();

/** Temporary download files in a folder, by the naming rule of src/core/transfer/tempfiles.ts. */
export const partFiles = (dir: string): string[] => readdirSync(dir).filter((n) => tempFileOwner(n) !== undefined);

export interface ManifestExport {
  objects: ManifestRow[];
  pendingRotations: Array<{ bucket: string; key: string; oldFingerprint: string; newFingerprint: string; state: string; pid: number }>;
  pendingUploads: Array<{ bucket: string; key: string; uploadId: string; fingerprint: string; pid: number }>;
}

export async function manifestExport(home: Home): Promise<ManifestExport> {
  return (await ok(['manifest', 'export'], { home })).json() as ManifestExport;
}

// ---------------------------------------------------------------------------------------------------------------
// The gateway. Tests that stop or freeze it live in test/reliability/exclusive/: scripts/test.sh runs them one file
// at a time after every other reliability test has finished, so nothing else talks to the gateway meanwhile.

function rgw(action: 'gateway-pid' | 'restart-gateway'): number {
  const out = execFileSync('bash', [join(ROOT, 'scripts', 'rgw.sh'), action, requireEnv('SSE3_RGW_DIR')],
    { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  const pid = Number(out.split('\n').at(-1));
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`rgw.sh ${action} printed no PID: ${out}`);
  return pid;
}

/** The radosgw PID that scripts/rgw.sh recorded for this cluster. */
export const gatewayPid = (): number => rgw('gateway-pid');
/** Stop radosgw whatever its state (killed, stopped, running) and start it again; its new PID. */
export const restartGateway = (): number => rgw('restart-gateway');

/** True when the gateway answers S3 requests again. */
export async function gatewayAnswers(): Promise<boolean> {
  const { ListBucketsCommand } = await import('@aws-sdk/client-s3');
  return (await adminClient()).send(new ListBucketsCommand({})).then(() => true, () => false);
}
