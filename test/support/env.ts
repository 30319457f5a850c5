import type { TestContext } from 'node:test';

/** Set environment variables of this process until the test ends; they then have their values from before again. */
export function setEnvForTest(t: TestContext, vars: Record<string, string>): void {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  t.after(() => {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
