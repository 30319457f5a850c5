/**
 * Keys held in environment variables (SSE3_KEY, env:VAR) leave the environment the first time sse3 reads them:
 * every child process inherits the environment (the AWS SDK's credential_process helper, say), and none may
 * inherit a key. The value stays here, in the process's memory, for every later read, so finding keys several
 * times in one run sees the same keys. No imports: main() takes SSE3_KEY out first thing, at little cost.
 */
const taken = new WeakMap<NodeJS.ProcessEnv, Map<string, string>>();

/** The variable's value (undefined when it was never set), removed from `env` if it is still there. */
export function takeEnvKey(env: NodeJS.ProcessEnv, name: string): string | undefined {
  let values = taken.get(env);
  if (values === undefined) taken.set(env, values = new Map());
  const value = env[name];
  if (value === undefined) return values.get(name);
  values.set(name, value);
  delete env[name];
  return value;
}
