// A bare HTTP receiver for the upload bench's reference runs: no Nest, no database, no disk. Each
// PUT body is read to its end and either dropped (MODE=discard: what moving the bytes over
// loopback costs) or hashed with SHA-256 on this thread as it arrives (MODE=hash: the least any
// server must do for an upload it checks); the answer carries the size and digest.
import { createHash } from 'node:crypto';
import http from 'node:http';

const mode = process.env.MODE;
if (mode !== 'discard' && mode !== 'hash') throw new Error(`MODE must be discard or hash, got "${mode}"`);

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return res.end('ok');
  const hash = mode === 'hash' ? createHash('sha256') : undefined;
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    hash?.update(chunk);
  });
  req.on('end', () => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ size, sha256: hash?.digest('hex') ?? null }));
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('bare receiver ready\n'));
