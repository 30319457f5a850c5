import { Sse3Error } from '../errors.js';
import { takeEnvKey } from './env.js';

/**
 * The key ref that encrypts a write: --key as given, else env:SSE3_KEY when SSE3_KEY is set in `env` (the command's
 * environment, handed in).
 */
export function writeKeyRef(ref: string | undefined, env: NodeJS.ProcessEnv): string {
  // An empty --key "" (an unset variable in a script) is a mistake to report, not a reason to fall back to SSE3_KEY.
  if (ref !== undefined) return ref;
  if (takeEnvKey(env, 'SSE3_KEY') !== undefined) return 'env:SSE3_KEY';
  throw new Sse3Error('USAGE', 'no key given: say which key encrypts the object',
    'pass --key file:PATH | env:VAR | keychain:NAME (make one with: sse3 keygen keychain:NAME)');
}
