#!/usr/bin/env node
// npm run seed: publishes the demo catalog again on a running Trove, through its public API.
// The listings of the previous run are suspended first, so search shows one demo catalog.
//
// Finds the gateway at TROVE_GATEWAY_URL, else http://127.0.0.1:<TROVE_BASE_PORT or 3000>; the
// operator key in TROVE_ADMIN_KEY, else .trove/admin-key (TROVE_STATE_DIR moves .trove/), as
// npm start left them. Prints one line per step; exits 1 with the reason on failure.

import fs from 'node:fs';
import path from 'node:path';
import { seedDemo } from './lib/demo.mjs';
import { ROOT, appPorts, createLog, stateDir } from './lib/util.mjs';

const log = createLog('seed');

async function main() {
  const dir = stateDir(ROOT);
  const gatewayUrl = process.env.TROVE_GATEWAY_URL || `http://127.0.0.1:${appPorts().gateway}`;
  const keyFile = path.join(dir, 'admin-key');
  const adminKey = process.env.TROVE_ADMIN_KEY || (fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : '');
  if (!adminKey) throw new Error(`no operator key: set TROVE_ADMIN_KEY or run npm start once (it writes ${keyFile})`);
  if (!fs.existsSync(path.join(ROOT, 'dist/libs/dataset/src/index.js'))) throw new Error('no build: run npm run build (or npm start) first');
  try {
    await fetch(`${gatewayUrl}/health/live`);
  } catch {
    throw new Error(`no gateway answers at ${gatewayUrl}: start Trove with npm start (or set TROVE_GATEWAY_URL)`);
  }
  const started = Date.now();
  log.info(`seeding the demo catalog through ${gatewayUrl}...`);
  const demo = await seedDemo({ stateDir: dir, gatewayUrl, adminKey, root: ROOT, catalog: 'always' });
  log.info(`published ${demo.catalog.datasets} demo datasets of ${Object.keys(demo.vendors).length} vendors in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log.info(`demo buyer key: ${demo.buyer.key}`);
}

main().catch((error) => {
  log.error(error.message);
  process.exit(1);
});
