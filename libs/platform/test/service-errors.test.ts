import { Controller, Get, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { BillingErrorCode, CommonErrorCode, rpcSubject } from '@trove/contracts';
import { encodeJson, messagingEntities, MessagingModule, Namespace, RpcClient, RpcHandler } from '@trove/messaging';
import { configureApp, createHttpAdapter, loadConfig, PlatformConfig, PlatformModule, ServiceException } from '@trove/platform';
import { IsString } from 'class-validator';
import type { NatsConnection } from 'nats';
import { createAppDatabase, type TestDatabase } from '../../../test/support/postgres';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { withEnv } from '../../../test/support/env';

jest.setTimeout(60_000);

/**
 * An error code and its status reach the client as problem+json unchanged, over the real path:
 * a service answers over NATS, the caller's RpcClient rethrows, the HTTP problem filter answers.
 * "Newer service" is a raw NATS responder writing the wire format a service built after this
 * gateway sends, with a code this build has never heard of.
 */
class SeatsRequest {
  @IsString()
  offerId: string;
}

const knownError = rpcSubject<SeatsRequest, never>('billing.balance.charge', SeatsRequest);
const newerService = rpcSubject<SeatsRequest, never>('catalog.licence.seats', SeatsRequest);

class BalanceHandler {
  @RpcHandler(knownError)
  charge(): never {
    throw new ServiceException(BillingErrorCode.INSUFFICIENT_FUNDS, '余额不足：需要 ¥1,299.00，可用 ¥300.00。');
  }
}

@Controller('v1/licences')
class LicencesController {
  constructor(private readonly rpc: RpcClient) {}

  @Get(':offerId/seats')
  seats(@Param('offerId') offerId: string): Promise<never> {
    return this.rpc.send(newerService, { offerId });
  }

  @Get(':offerId/charge')
  charge(@Param('offerId') offerId: string): Promise<never> {
    return this.rpc.send(knownError, { offerId });
  }
}

describe('service error codes over NATS and HTTP', () => {
  let database: TestDatabase;
  let namespace: string;
  let moduleRef: TestingModule;
  let app: NestFastifyApplication;
  let nc: NatsConnection;
  let wireError: unknown;

  beforeAll(async () => {
    database = await createAppDatabase('ordering', 'service_errors');
    namespace = newNamespace();

    nc = await connectNats();
    nc.subscribe(new Namespace(namespace).subject(newerService.subject), {
      callback: (_, msg) => msg.respond(encodeJson({ ok: false, error: wireError })),
    });
    await nc.flush();

    app = await withEnv({ DATABASE_URL: database.url, NATS_URL, TROVE_NAMESPACE: namespace, LOG_LEVEL: 'silent' }, async () => {
      moduleRef = await Test.createTestingModule({
        imports: [PlatformModule.forRoot({ service: 'gateway', entities: messagingEntities, migrations: [] }), MessagingModule.forRoot()],
        controllers: [LicencesController],
        providers: [BalanceHandler],
      }).compile();
      const config = loadConfig(PlatformConfig, process.env, { PORT: 0 });
      const built = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bufferLogs: true });
      await configureApp(built, { service: 'gateway' } as never, config);
      await built.init();
      await built.getHttpAdapter().getInstance().ready();
      return built;
    });
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await deleteStream(namespace);
    await database?.drop();
  });

  async function get(url: string) {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, type: response.headers['content-type'], body: response.json() };
  }

  it('answers a service code it knows with the status of its contract', async () => {
    const answer = await get('/v1/licences/offer-1/charge');
    expect(answer).toMatchObject({
      status: 402,
      type: expect.stringContaining('application/problem+json'),
      body: { status: 402, code: 'INSUFFICIENT_FUNDS', title: 'Payment Required', detail: '余额不足：需要 ¥1,299.00，可用 ¥300.00。' },
    });
  });

  it('answers a code from a service built after it with that code and status, not a 500', async () => {
    wireError = { code: 'LICENSE_SEATS_EXHAUSTED', status: 409, message: 'All 20 seats of this license are taken.' };
    const answer = await get('/v1/licences/offer-1/seats');
    expect(answer).toMatchObject({
      status: 409,
      type: expect.stringContaining('application/problem+json'),
      body: {
        type: 'urn:problem:trove:license-seats-exhausted',
        title: 'Conflict',
        status: 409,
        code: 'LICENSE_SEATS_EXHAUSTED',
        detail: 'All 20 seats of this license are taken.',
      },
    });
  });

  it.each([
    ['a status outside 400-599', { code: 'LICENSE_SEATS_EXHAUSTED', status: 302, message: 'Moved.' }],
    ['a code that is not UPPER_SNAKE_CASE', { code: 'license seats exhausted', status: 409, message: 'x' }],
    ['no status', { code: 'LICENSE_SEATS_EXHAUSTED', message: 'x' }],
  ])('answers INTERNAL 500 for a wire error with %s', async (_, error) => {
    wireError = error;
    const answer = await get('/v1/licences/offer-1/seats');
    expect(answer).toMatchObject({ status: 500, body: { status: 500, code: CommonErrorCode.INTERNAL } });
  });
});
