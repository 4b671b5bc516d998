/**
 * Builds an app with `env` in process.env, then puts process.env back as it was.
 *
 * An app reads its settings from process.env while it is built, so a harness sets its own there.
 * Left in place, one test's settings would be read by the next app the same test file builds: a
 * test of the upload pace left a one-second grace period behind, and the next test's upload, held
 * open on purpose, was cut off whenever the machine was slow enough to take a second over it.
 * Builds must not overlap; none in these tests do.
 */
export async function withEnv<T>(env: Record<string, string>, build: () => Promise<T>): Promise<T> {
  const before = new Map(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await build();
  } finally {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
