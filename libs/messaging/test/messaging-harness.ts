import { Test, type TestingModule } from '@nestjs/testing';
import type { Provider } from '@nestjs/common';
import { messagingEntities, MessagingModule, type MessagingOptions } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import type { ServiceName } from '@trove/contracts';
import { withEnv } from '../../../test/support/env';

export interface ServiceEnv {
  databaseUrl: string;
  namespace: string;
  natsUrl: string;
}

/**
 * One service's messaging, in this process: the platform and messaging modules as an app has
 * them, with the given providers (event handlers, RPC handlers) and no HTTP.
 */
export async function startService(
  env: ServiceEnv,
  options: { service?: ServiceName; providers?: Provider[]; messaging?: Partial<MessagingOptions> } = {},
): Promise<TestingModule> {
  // The platform reads its settings from the environment, exactly as in production.
  return withEnv({ DATABASE_URL: env.databaseUrl, TROVE_NAMESPACE: env.namespace, NATS_URL: env.natsUrl, LOG_LEVEL: 'warn' }, async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({ service: options.service ?? 'ordering', entities: messagingEntities, migrations: [] }),
        MessagingModule.forRoot(options.messaging),
      ],
      providers: options.providers ?? [],
    })
      // Handlers' expected failures are logged as errors; TROVE_TEST_VERBOSE=1 shows them.
      .setLogger({ log() {}, warn() {}, error: (...args: unknown[]) => process.env.TROVE_TEST_VERBOSE && console.error(...args) })
      .compile();
    return moduleRef.init();
  });
}
