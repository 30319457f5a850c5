import { takeEnvKey } from './env.js';

/**
 * The key ref given for a write: --key as given, else env:SSE3_KEY when SSE3_KEY is set in `env` (the command's
 * environment, handed in); undefined when neither (a default key of the destination may then apply).
 */
export function givenWriteRef(ref: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  // An empty --key "" (an unset variable in a script) is a mistake to report, not a reason to fall back to SSE3_KEY.
  if (ref !== undefined) return ref;
  return takeEnvKey(env, 'SSE3_KEY') !== undefined ? 'env:SSE3_KEY' : undefined;
}
