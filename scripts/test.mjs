#!/usr/bin/env node
// npm test [jest args]: unit, integration and end-to-end tests against real PostgreSQL and NATS.
//
//   1. npm ci when node_modules is missing or stale (Node built-ins only until then);
//   2. build (the e2e tests spawn the compiled apps; skipped when dist/ is current, see
//      lib/util.mjs) while finding or starting PostgreSQL and NATS like npm start does
//      (lib/infra.mjs); jest gets DATABASE_URL=<that server>/postgres and NATS_URL;
//   3. jest --selectProjects unit integration --maxWorkers=2, then
//      jest --selectProjects e2e --runInBand; both with --passWithNoTests (a project without
//      tests is not a failure) and --json into a temporary file (a jest that does not exit
//      15 s after writing it is stopped and the leak reported; see runJest); extra arguments
//      go to both runs
//      (e.g. `npm test -- -t "ledger"` or `npm test -- apps/billing`). Both runs always
//      happen, so one report shows everything; if the build failed, e2e is not run and counts
//      as an error;
//   4. stops the PostgreSQL/NATS it started and prints, as the very last line of stdout:
//        N passed, M failed[, K skipped]
//      M counts failed tests plus test files that could not run at all (a syntax error, a
//      failing beforeAll without tests...), each as one failure. Exit code 1 when M > 0 or a
//      run errored (jest exited non-zero, wrote no results, or was skipped), else 0.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT, UserError, buildIfNeeded, createLog, ensureDependencies, nodeVersionWarning } from './lib/util.mjs';

const log = createLog('test');

const RUNS = [
  { name: 'unit+integration', args: ['--selectProjects', 'unit', 'integration', '--maxWorkers=2'], needsBuild: false },
  { name: 'e2e', args: ['--selectProjects', 'e2e', '--runInBand'], needsBuild: true },
];

let interrupted = null;
let currentChild = null;

// Jest writes --outputFile when the results are complete; if it then does not exit (a test
// left a server, socket or timer open), we stop it after this long instead of hanging CI.
// (Instead of --forceExit, which would hide such leaks: here they are reported.)
const EXIT_GRACE_MS = 15_000;

function runJest(jestBin, args, env, outputFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [jestBin, ...args], { cwd: ROOT, env, stdio: 'inherit' });
    currentChild = child;
    let resultsAt = 0;
    let hung = false;
    const watchdog = setInterval(() => {
      if (!resultsAt && fs.existsSync(outputFile)) resultsAt = Date.now();
      if (resultsAt && Date.now() - resultsAt > EXIT_GRACE_MS && !hung) {
        hung = true;
        log.warn(`jest did not exit ${EXIT_GRACE_MS / 1000} s after writing its results: something in the tests is still open (find it with npm test -- --detectOpenHandles); stopping jest`);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }
    }, 500);
    child.on('error', (err) => {
      clearInterval(watchdog);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearInterval(watchdog);
      currentChild = null;
      resolve({ code: code ?? (signal ? 128 : 1), hung });
    });
  });
}

/** Counts from jest's --json output (see @jest/test-result AggregatedResult). */
function countResults(file) {
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  // A file that failed outside any test (compile error, beforeAll throwing with no test run)
  // has no failed test to count; count the file once.
  const brokenFiles = (data.testResults ?? []).filter(
    (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  return {
    passed: data.numPassedTests ?? 0,
    failed: (data.numFailedTests ?? 0) + brokenFiles,
    skipped: (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0),
    brokenFiles,
    files: data.numTotalTestSuites ?? 0,
  };
}

async function main() {
  const extra = process.argv.slice(2);
  const oldNode = nodeVersionWarning();
  if (oldNode) log.warn(oldNode);
  await ensureDependencies({ root: ROOT, log });
  const { ensureInfrastructure, databaseUrlFor, redact, redactNats } = await import('./lib/infra.mjs');

  // While jest runs it owns the terminal: a Ctrl-C reaches it directly and it stops; we then
  // skip the remaining run and clean up. A SIGTERM (CI cancelling) is passed on to jest.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      interrupted ??= signal;
      if (signal !== 'SIGINT') currentChild?.kill(signal);
    });
  }

  const [build, infra] = await Promise.all([
    buildIfNeeded({ root: ROOT, log }),
    ensureInfrastructure({ root: ROOT, log, exitOnError: false }),
  ]);
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrlFor(infra.databaseUrl, 'postgres'),
    NATS_URL: infra.natsUrl,
  };
  log.info(`DATABASE_URL=${redact(env.DATABASE_URL)} (${infra.postgres.source}), NATS_URL=${redactNats(env.NATS_URL)} (${infra.nats.source})`);

  const jestBin = createRequire(path.join(ROOT, 'package.json')).resolve('jest/bin/jest');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-test-'));
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const problems = [];

  try {
    for (const [i, run] of RUNS.entries()) {
      if (interrupted) {
        problems.push(`${run.name}: not run (${interrupted})`);
        continue;
      }
      if (run.needsBuild && !build.ok) {
        problems.push(`${run.name}: not run, the build failed (see the compiler output above)`);
        continue;
      }
      const outputFile = path.join(outDir, `run-${i}.json`);
      const args = [...run.args, '--passWithNoTests', '--json', `--outputFile=${outputFile}`, ...extra];
      log.info(`${run.name}: jest ${args.filter((a) => !a.startsWith('--outputFile')).join(' ')}`);
      const { code, hung } = await runJest(jestBin, args, env, outputFile);
      const counts = countResults(outputFile);
      if (!counts) {
        problems.push(`${run.name}: jest exited with code ${code} without writing results`);
        continue;
      }
      totals.passed += counts.passed;
      totals.failed += counts.failed;
      totals.skipped += counts.skipped;
      const brokenNote = counts.brokenFiles ? ` (${counts.brokenFiles} test file${counts.brokenFiles > 1 ? 's' : ''} could not run)` : '';
      log.info(`${run.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${counts.files} file${counts.files === 1 ? '' : 's'}${brokenNote}; jest exit code ${code}`);
      if (hung) log.warn(`${run.name}: jest had to be stopped after the tests finished (open handles); the results above count`);
      else if (code !== 0 && counts.failed === 0) problems.push(`${run.name}: jest exited with code ${code} although no test failed (see its output above)`);
    }
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
    await infra.stop();
  }

  if (!build.ok) problems.unshift('build failed (npm run build): see the compiler output above');
  for (const p of problems) log.error(p);
  // The last line of stdout, alone: what CI and people read.
  process.stdout.write(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
  if (interrupted) return 130;
  return totals.failed > 0 || problems.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log.error(err instanceof UserError ? err.message : err?.stack ?? String(err));
    process.stdout.write('0 passed, 0 failed\n'); // nothing ran; keep the promised last line
    process.exit(1);
  },
);
