'use strict';
// Container health check: GET /health/live (default) or /health/ready on the app's own port.
// Used by the Dockerfile's HEALTHCHECK and by docker-compose.yml. Plain Node, no curl needed.
//   node healthcheck.cjs [live|ready]
const http = require('node:http');

const DEFAULT_PORTS = { gateway: 3000, catalog: 3001, ordering: 3002, billing: 3003, delivery: 3004 };
const which = process.argv[2] === 'ready' ? 'ready' : 'live';
const port = Number(process.env.PORT || DEFAULT_PORTS[process.env.APP] || 3000);
const bind = process.env.HOST || '0.0.0.0';
const host = bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind;

const req = http.get({ host, port, path: `/health/${which}`, timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (err) => {
  console.error(`health/${which} on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
