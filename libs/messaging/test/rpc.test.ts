import { CommonErrorCode, rpcSubject } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { MessageHeaders } from '@trove/contracts';
import { Namespace, RpcClient, RpcHandler, type RpcContext } from '@trove/messaging';
import { AckPolicy, connect, DeliverPolicy, headers as natsHeaders } from 'nats';
import { RequestContext, ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { startService, type ServiceEnv } from './messaging-harness';

jest.setTimeout(60_000);

class QuoteRequest {
  @IsString()
  offerId: string;

  @IsInt()
  @Min(1)
  seats: number;
}

interface Quote {
  amount: number;
  currency: 'CNY';
  correlationId: string;
  callerOrganization: string | null;
}

const quote = rpcSubject<QuoteRequest, Quote>('billing.quote.get', QuoteRequest);
const slow = rpcSubject<QuoteRequest, Quote>('billing.quote.slow', QuoteRequest);
const broken = rpcSubject<QuoteRequest, Quote>('billing.quote.broken', QuoteRequest);
const bulky = rpcSubject<QuoteRequest, Quote & { terms: string }>('billing.quote.bulky', QuoteRequest);
const nobody = rpcSubject<QuoteRequest, Quote>('delivery.quote.get', QuoteRequest);
/** A command that records who accepted which quote. */
const accept = rpcSubject<QuoteRequest, { accepted: number }>('billing.quote.accept', QuoteRequest, { command: true });
const accepted: { offerId: string; role: string | null }[] = [];
/** A quote read from the service's own database: `offerId` 'bad-statement' runs a statement the database refuses. */
const stored = rpcSubject<QuoteRequest, Quote>('billing.quote.stored', QuoteRequest);

let release: () => void = () => undefined;

@Injectable()
class QuoteHandler {
  @RpcHandler(quote)
  get(request: QuoteRequest, context: RpcContext): Quote {
    if (request.offerId === 'withdrawn') throw new ServiceException(CommonErrorCode.CONFLICT, 'The offer was withdrawn.');
    return {
      amount: 129_900 * request.seats,
      currency: 'CNY',
      correlationId: context.correlationId,
      callerOrganization: context.caller?.organizationId ?? null,
    };
  }

  @RpcHandler(slow)
  async slow(request: QuoteRequest, context: RpcContext): Promise<Quote> {
    await new Promise<void>((resolve) => (release = resolve));
    return this.get(request, context);
  }

  /** An answer that outgrows one NATS message (max_payload, 1 MiB by default): `seats` times 100 KiB of terms. */
  @RpcHandler(bulky)
  bulky(request: QuoteRequest, context: RpcContext): Quote & { terms: string } {
    return { ...this.get(request, context), terms: '许可条款'.repeat((request.seats * 100 * 1024) / 12) };
  }

  @RpcHandler(accept)
  accept(request: QuoteRequest, context: RpcContext): { accepted: number } {
    accepted.push({ offerId: request.offerId, role: context.caller?.role ?? null });
    return { accepted: accepted.length };
  }

  @RpcHandler(broken)
  broken(): Quote {
    throw new Error('relation "quote" does not exist');
  }

}

/** In a service of its own, whose database connections the test can take away. */
@Injectable()
class StoredQuoteHandler {
  constructor(private readonly dataSource: DataSource) {}

  @RpcHandler(stored)
  async stored(request: QuoteRequest): Promise<Quote> {
    const [row] = (await this.dataSource.query(request.offerId === 'bad-statement' ? 'SELECT 1 / 0 AS n' : 'SELECT 129900 AS n')) as { n: number }[];
    return { amount: row.n * request.seats, currency: 'CNY', correlationId: '', callerOrganization: null };
  }
}

describe('request-reply over NATS', () => {
  let database: TestDatabase;
  let env: ServiceEnv;
  let billing: TestingModule;
  let caller: TestingModule;
  let rpc: RpcClient;

  beforeAll(async () => {
    database = await createAppDatabase('billing', 'rpc');
    env = { databaseUrl: database.url, namespace: newNamespace(), natsUrl: NATS_URL };
    billing = await startService(env, { service: 'billing', providers: [QuoteHandler] });
    caller = await startService(env, { service: 'gateway' });
    rpc = caller.get(RpcClient);
  });

  afterAll(async () => {
    await caller?.close();
    await billing?.close();
    await deleteStream(env.namespace);
    await database?.drop();
  });

  it('answers with the typed reply and carries the correlation id and the caller', async () => {
    const reply = await RequestContext.run(
      { correlationId: 'order-7f3a', caller: { organizationId: '8d7e6f50-0000-4000-8000-000000000001', role: 'buyer', keyId: 'key-1' } },
      () => rpc.send(quote, { offerId: 'offer-1', seats: 3 }),
    );
    expect(reply).toEqual({ amount: 389_700, currency: 'CNY', correlationId: 'order-7f3a', callerOrganization: '8d7e6f50-0000-4000-8000-000000000001' });
  });

  it('refuses a request that breaks its contract with VALIDATION_FAILED naming the fields', async () => {
    await expect(rpc.send(quote, { offerId: 'offer-1', seats: 0 })).rejects.toMatchObject({
      code: CommonErrorCode.VALIDATION_FAILED,
      status: 400,
      errors: [{ field: 'seats', problems: [expect.stringContaining('seats')] }],
    });
    await expect(rpc.send(quote, { offerId: 'offer-1', seats: 1, price: 1 } as QuoteRequest)).rejects.toMatchObject({
      code: CommonErrorCode.VALIDATION_FAILED,
      errors: [{ field: 'price', problems: [expect.stringContaining('should not exist')] }],
    });
  });

  it('refuses a message nested too deep to validate with VALIDATION_FAILED, changes nothing and logs no handler failure', async () => {
    // Sent as bytes: JSON.stringify (and so RpcClient) cannot write these. The validators ran out
    // of stack on them, a RangeError answered INTERNAL and logged as a handler failure.
    const bodies = {
      lists: `{"offerId":"deep","seats":1,"terms":${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
      objects: `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`,
    };
    const failures = jest.spyOn(Logger.prototype, 'error');
    const before = accepted.length;
    const nc = await connect({ servers: NATS_URL });
    try {
      const namespace = new Namespace(env.namespace);
      for (const [what, body] of Object.entries(bodies)) {
        for (const subject of [quote.subject, accept.subject]) {
          const reply = JSON.parse(new TextDecoder().decode((await nc.request(namespace.subject(subject), new TextEncoder().encode(body), { timeout: 10_000 })).data));
          expect({ what, subject, reply }).toEqual({
            what,
            subject,
            reply: {
              ok: false,
              error: {
                code: CommonErrorCode.VALIDATION_FAILED,
                status: 400,
                message: expect.stringContaining('is nested deeper than 64 levels'),
                errors: [{ field: expect.stringMatching(what === 'lists' ? /^terms\.0\.0\./ : /^a\.a\./), problems: [expect.stringContaining('is nested deeper than 64 levels')] }],
              },
            },
          });
        }
      }
      // The service still answers, and the command was not applied.
      expect(await rpc.send(quote, { offerId: 'offer-1', seats: 1 })).toMatchObject({ amount: 129_900 });
      expect(accepted).toHaveLength(before);
      expect(failures).not.toHaveBeenCalled();
    } finally {
      failures.mockRestore();
      await nc.close();
    }
  });

  it('passes a typed business error through unchanged', async () => {
    await expect(rpc.send(quote, { offerId: 'withdrawn', seats: 1 })).rejects.toMatchObject({ code: 'CONFLICT', status: 409, message: 'The offer was withdrawn.' });
  });

  describe('a database that gives no connection: SERVICE_UNAVAILABLE, to be sent again; a failed statement stays INTERNAL', () => {
    const role = `trove_crowded_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    let crowded: TestingModule | undefined;
    const connections = () =>
      withDatabase(database.url, async (client) => (await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1`, [role])).rows[0].n as number);

    beforeAll(async () => {
      await withDatabase(database.url, async (client) => {
        await client.query(`CREATE ROLE ${role} LOGIN`);
        await client.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
        await client.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      });
      const url = new URL(database.url);
      url.username = role;
      crowded = await startService({ ...env, databaseUrl: url.toString() }, { service: 'billing', providers: [StoredQuoteHandler] });
    });
    afterAll(async () => {
      await crowded?.close();
      await withDatabase(database.url, async (client) => {
        await client.query(`DROP OWNED BY ${role}`);
        await client.query(`DROP ROLE ${role}`);
      });
    });

    it('answers 503 while every connection slot is taken, and again once one is free', async () => {
      expect(await rpc.send(stored, { offerId: 'offer-1', seats: 2 })).toMatchObject({ amount: 259_800 });
      // The role may hold no connection: PostgreSQL refuses it "too many connections" (53300),
      // as it refuses everyone once max_connections are taken. The pool's connections are ended.
      await withDatabase(database.url, async (client) => {
        await client.query(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
        await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
      });
      await waitFor('the pool to lose its connections', async () => (await connections()) === 0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const error = await rpc.send(stored, { offerId: 'offer-1', seats: 1 }).catch((e: ServiceException) => e);
      expect(error).toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE, status: 503, message: expect.stringContaining('send it again shortly') });
      expect((error as Error).message).not.toContain('too many');

      await withDatabase(database.url, (client) => client.query(`ALTER ROLE ${role} CONNECTION LIMIT -1`));
      expect(await rpc.send(stored, { offerId: 'offer-1', seats: 1 })).toMatchObject({ amount: 129_900 });
    });

    it('keeps a statement the database refuses INTERNAL', async () => {
      const error = await rpc.send(stored, { offerId: 'bad-statement', seats: 1 }).catch((e: ServiceException) => e);
      expect(error).toMatchObject({ code: CommonErrorCode.INTERNAL, status: 500 });
      expect((error as Error).message).not.toContain('division');
    });
  });

  it('turns a bug into INTERNAL without leaking its message', async () => {
    const error = await rpc.send(broken, { offerId: 'offer-1', seats: 1 }).catch((e: ServiceException) => e);
    expect(error).toMatchObject({ code: CommonErrorCode.INTERNAL, status: 500 });
    expect((error as Error).message).not.toContain('relation');
  });

  it('answers INTERNAL at once, not a timeout, when the answer is larger than one NATS message', async () => {
    expect((await rpc.send(bulky, { offerId: 'offer-1', seats: 5 })).terms.length).toBeGreaterThan(100_000);
    const started = Date.now();
    const error = await rpc.send(bulky, { offerId: 'offer-1', seats: 20 }, { timeoutMs: 10_000 }).catch((e: ServiceException) => e);
    expect(error).toMatchObject({ code: CommonErrorCode.INTERNAL, message: expect.stringContaining('larger than one message may carry') });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers SERVICE_UNAVAILABLE at once when nobody listens on the subject', async () => {
    const started = Date.now();
    await expect(rpc.send(nobody, { offerId: 'offer-1', seats: 1 })).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE, status: 503 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers SERVICE_UNAVAILABLE when the service does not answer in time', async () => {
    const started = Date.now();
    await expect(rpc.send(slow, { offerId: 'offer-1', seats: 1 }, { timeoutMs: 300 })).rejects.toMatchObject({
      code: CommonErrorCode.SERVICE_UNAVAILABLE,
      message: expect.stringContaining('300 ms'),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    release();
  });

  it('does not act on what the event stream delivers to its subject, whatever the headers claim', async () => {
    // Anyone who may create a consumer on the stream can have the server push stored messages,
    // headers and all, to any subject: here an "admin" command to billing's queue group.
    const nc = await connect({ servers: NATS_URL });
    try {
      const namespace = new Namespace(env.namespace);
      const jsm = await nc.jetstreamManager();
      const forgedSubject = namespace.subject(`evt.catalog.quote.forged-${randomUUID().slice(0, 8)}.v1`);
      const durable = `catalog_forged-${randomUUID().slice(0, 8)}`;
      await jsm.consumers.add(namespace.stream, {
        durable_name: durable,
        filter_subject: forgedSubject,
        deliver_subject: namespace.subject(accept.subject),
        deliver_group: namespace.queue('billing'),
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
      });
      const forged = natsHeaders();
      forged.set(MessageHeaders.callerOrganization, randomUUID());
      forged.set(MessageHeaders.callerRole, 'admin');
      forged.set(MessageHeaders.callerKey, randomUUID());
      forged.set(MessageHeaders.idempotencyKey, randomUUID());
      await nc.jetstream().publish(forgedSubject, new TextEncoder().encode(JSON.stringify({ offerId: 'forged', seats: 1 })), { headers: forged });
      await waitFor('the stream to deliver the forged command', async () => (await jsm.consumers.info(namespace.stream, durable)).delivered.stream_seq > 0);
      // A request sent after it is answered after it: by then the forged one was taken or dropped.
      const caller = { organizationId: '8d7e6f50-0000-4000-8000-000000000001', role: 'buyer' as const, keyId: 'key-1' };
      await RequestContext.run({ correlationId: 'accept-1', caller }, () => rpc.send(accept, { offerId: 'offer-1', seats: 1 }, { idempotencyKey: randomUUID() }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(accepted).toEqual([{ offerId: 'offer-1', role: 'buyer' }]);
    } finally {
      await nc.close();
    }
  });

  it('finishes a request in flight when the service shuts down, then stops taking new ones', async () => {
    const inFlight = rpc.send(slow, { offerId: 'offer-1', seats: 2 }, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = billing.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await expect(inFlight).resolves.toMatchObject({ amount: 259_800 });
    await closing;
    await expect(rpc.send(quote, { offerId: 'offer-1', seats: 1 })).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE });
    billing = undefined as unknown as TestingModule;
  });
});
