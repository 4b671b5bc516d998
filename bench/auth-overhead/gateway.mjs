// The gateway as npm start runs it, built through Nest's testing module so that one provider
// can be swapped: with BENCH_KEY_CHECK=skipped the KeyStore answers every request with a fixed
// caller (BENCH_PRINCIPAL) without looking at the key, which is the same route without
// authentication. With BENCH_KEY_CHECK=real nothing is swapped.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const dist = (file) => require(path.join(root, 'dist', file));

require('reflect-metadata');
const { Test } = require('@nestjs/testing');
const { AppModule } = dist('apps/gateway/src/app.module.js');
const { KeyStore } = dist('apps/gateway/src/auth/key-store.js');
const { gatewayOptions } = dist('apps/gateway/src/gateway.options.js');
const { GatewayConfig } = dist('apps/gateway/src/gateway.config.js');
const { loadConfig, createHttpAdapter, configureApp } = dist('libs/platform/src/index.js');

const config = loadConfig(GatewayConfig, process.env, { PORT: 0 });
let builder = Test.createTestingModule({ imports: [AppModule] });
if (process.env.BENCH_KEY_CHECK === 'skipped') {
  const principal = JSON.parse(process.env.BENCH_PRINCIPAL);
  builder = builder.overrideProvider(KeyStore).useValue({ check: async () => ({ ok: true, principal }), changed: async () => undefined, issued: async () => undefined });
}
const moduleRef = await builder.compile();
const app = moduleRef.createNestApplication(createHttpAdapter(config), { bufferLogs: true });
await configureApp(app, gatewayOptions, config);
await app.listen({ port: config.PORT, host: '127.0.0.1' });
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
