import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Sse3Paths {
  /** Folder holding the manifest database. */
  dataDir: string;
  manifestFile: string;
  /** Key files placed here are found automatically by get/head when the manifest names their fingerprint. */
  keyDir: string;
}

/** SSE3_HOME holds everything; without it the XDG base directories are used. */
export function sse3Paths(env: NodeJS.ProcessEnv = process.env): Sse3Paths {
  if (env.SSE3_HOME) {
    return { dataDir: env.SSE3_HOME, manifestFile: join(env.SSE3_HOME, 'manifest.db'), keyDir: join(env.SSE3_HOME, 'keys') };
  }
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  const dataDir = join(dataHome, 'sse3');
  return { dataDir, manifestFile: join(dataDir, 'manifest.db'), keyDir: join(configHome, 'sse3', 'keys') };
}

/**
 * A file shipped with sse3 (package.json, completions/…), by its path in the package. Found from this module's own
 * place, which is two folders below the package in the compiled tree (dist/src/) and in the bundle (dist/bundle/).
 */
export const packageFile = (path: string): URL => new URL(`../../${path}`, import.meta.url);
