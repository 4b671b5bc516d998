import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { natsAuth, PlatformConfig, Readiness, redactNatsUrl, SERVICE_IDENTITY, type ServiceIdentity } from '@trove/platform';
import { inboxPrefix } from './bus-permissions';
import { Namespace } from './namespace';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const InjectNats = () => Inject(NATS_CONNECTION);

export const natsConnectionProvider: Provider = {
  provide: NATS_CONNECTION,
  inject: [PlatformConfig, SERVICE_IDENTITY, Readiness],
  useFactory: async (config: PlatformConfig, identity: ServiceIdentity, readiness: Readiness): Promise<NatsConnection> => {
    const logger = new Logger('Nats');
    // Credentials from the settings (never logged); replies come to an inbox of this service's
    // own, which is all that NATS lets it read (deploy/nats/authorization.conf).
    const auth = natsAuth(config);
    const nc = await connect({
      servers: auth.servers,
      authenticator: auth.authenticator,
      inboxPrefix: inboxPrefix(new Namespace(config.TROVE_NAMESPACE), identity.service),
      name: `trove-${identity.service}@${identity.instance}`,
      timeout: config.CONNECT_TIMEOUT_MS,
      // Keep trying for as long as the process lives: a NATS restart must not need ours.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
      // Without this every request and publish captures a stack trace for an error it will
      // almost never raise: measurably slower on the gateway's hot path. Timeouts still say
      // which subject did not answer.
      noAsyncTraces: true,
    });
    logger.log(`connected to ${redactNatsUrl(config.NATS_URL)} (${auth.method === 'none' ? 'anonymous' : auth.user ? `${auth.method}, user ${auth.user}` : auth.method})`);
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'error') logger.warn(`NATS ${status.type}: ${String(status.data)}`);
        if (status.type === 'reconnect') logger.log(`NATS reconnected to ${String(status.data)}`);
      }
    })();
    readiness.register('nats', async () => {
      if (nc.isClosed()) throw new Error('connection closed');
      await Promise.race([
        nc.flush(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer from NATS within 2 s')), 2000).unref()),
      ]);
    });
    return nc;
  },
};

export const namespaceProvider: Provider = {
  provide: Namespace,
  inject: [PlatformConfig],
  useFactory: (config: PlatformConfig) => new Namespace(config.TROVE_NAMESPACE),
};

/** Closes NATS last, after HTTP and consumers finished, so in-flight work can still reply. */
@Injectable()
export class NatsLifecycle implements OnApplicationShutdown {
  constructor(@InjectNats() private readonly nc: NatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}
