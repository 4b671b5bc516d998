import { Test, type TestingModule } from '@nestjs/testing';
import { Readiness } from '@trove/platform';
import { AppModule } from '../src/app.module';
import { deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { createAppDatabase, type TestDatabase } from '../../../test/support/postgres';
import { withEnv } from '../../../test/support/env';
import { waitFor } from '../../../test/support/processes';

/** The catalog's whole module in the test process, on a migrated database and a NATS namespace of its own. */
export interface CatalogModule {
  moduleRef: TestingModule;
  db: TestDatabase;
  stop(): Promise<void>;
}

export async function startCatalogModule(label: string, env: Record<string, string> = {}): Promise<CatalogModule> {
  const db = await createAppDatabase('catalog', label);
  const namespace = newNamespace();
  const moduleRef = await withEnv({ DATABASE_URL: db.url, TROVE_NAMESPACE: namespace, NATS_URL, LOG_LEVEL: 'silent', ...env }, async () => {
    const built = await Test.createTestingModule({ imports: [AppModule] })
      .setLogger({ log() {}, warn() {}, error() {} })
      .compile();
    return built.init();
  });
  // As a load balancer would: nothing is asked before the catalog has applied what it found at its start.
  await waitFor('the catalog to be ready', async () => (await moduleRef.get(Readiness).check('standing')).status === 'ok', 15_000);
  return {
    moduleRef,
    db,
    stop: async () => {
      await moduleRef.close();
      await deleteStream(namespace);
      await db.drop();
    },
  };
}
