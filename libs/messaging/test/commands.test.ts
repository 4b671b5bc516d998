import 'reflect-metadata';
import { CommonErrorCode, MessageHeaders, rpcSubject } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Min } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { decodeJson, encodeJson, Namespace, ProcessedCommandJanitor, requestHash, RpcClient, RpcHandler, TransactionalRepository, type RpcContext } from '@trove/messaging';
import { MetricsService, RequestContext, ServiceException, type AuditMark, type Caller } from '@trove/platform';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { startService, type ServiceEnv } from './messaging-harness';

jest.setTimeout(60_000);

class TopUpRequest {
  /** Read as the bank prints it: spaces around it are not part of it. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  reference: string;

  @IsInt()
  @Min(1)
  amount: number;
}

interface TopUp {
  id: string;
  topUpId: string;
  amount: number;
}

const createTopUp = rpcSubject<TopUpRequest, TopUp>('billing.top-up.create', TopUpRequest, { command: true });
const quoteTopUp = rpcSubject<TopUpRequest, TopUp>('billing.top-up.quote', TopUpRequest);
/** A command that asks another service (the bank, say) before it changes anything. */
const checkedTopUp = rpcSubject<TopUpRequest, TopUp>('billing.top-up.create-checked', TopUpRequest, { command: true });

@Injectable()
class TopUpRepository extends TransactionalRepository {
  async insert(reference: string, amount: number): Promise<string> {
    const id = randomUUID();
    await this.transaction.query(`INSERT INTO wallet_top_up (id, reference, amount) VALUES ($1, $2, $3)`, [id, reference, amount]);
    return id;
  }
}

/** Lets a test hold a command in the middle of its transaction. */
let gate: Promise<void> | undefined;
let executions = 0;
/** Stands for the other service's answer to a checked top-up. */
let bankAnswer: Promise<void> | undefined;
let bankCalls = 0;

@Injectable()
class TopUpHandler {
  constructor(private readonly topUps: TopUpRepository) {}

  @RpcHandler(createTopUp)
  async create(request: TopUpRequest): Promise<TopUp> {
    executions++;
    if (request.amount > 100_000_000) throw new ServiceException(CommonErrorCode.CONFLICT, 'Top-ups above 1,000,000 CNY need a bank confirmation first.');
    const topUpId = await this.topUps.insert(request.reference, request.amount);
    await gate;
    return { id: topUpId, topUpId, amount: request.amount };
  }

  @RpcHandler(checkedTopUp, { deferTransaction: true })
  async createChecked(request: TopUpRequest, context: RpcContext): Promise<TopUp> {
    bankCalls++;
    await bankAnswer;
    return context.command!(async () => {
      executions++;
      const topUpId = await this.topUps.insert(request.reference, request.amount);
      return { id: topUpId, topUpId, amount: request.amount };
    });
  }

  @RpcHandler(quoteTopUp)
  quote(request: TopUpRequest): TopUp {
    executions++;
    return { id: 'quote', topUpId: 'quote', amount: request.amount };
  }
}

const BUYER: Caller = { organizationId: '5f0c1b2a-8d3e-4f6a-9b7c-000000000101', role: 'buyer', keyId: '5f0c1b2a-8d3e-4f6a-9b7c-0000000001a1' };
const OTHER_BUYER: Caller = { organizationId: '5f0c1b2a-8d3e-4f6a-9b7c-000000000202', role: 'buyer', keyId: '5f0c1b2a-8d3e-4f6a-9b7c-0000000002a2' };

describe('commands: idempotency keys and deadlines', () => {
  let database: TestDatabase;
  let env: ServiceEnv;
  let billing: TestingModule;
  let gateway: TestingModule;
  let rpc: RpcClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    database = await createAppDatabase('billing', 'commands');
    await withDatabase(database.url, (client) =>
      client.query(`CREATE TABLE wallet_top_up (id uuid PRIMARY KEY, reference text NOT NULL, amount bigint NOT NULL)`),
    );
    env = { databaseUrl: database.url, namespace: newNamespace(), natsUrl: NATS_URL };
    billing = await startService(env, { service: 'billing', providers: [TopUpRepository, TopUpHandler] });
    gateway = await startService(env, { service: 'gateway' });
    rpc = gateway.get(RpcClient);
    nc = await connectNats();
  });

  afterAll(async () => {
    await nc?.close();
    await gateway?.close();
    await billing?.close();
    await deleteStream(env.namespace);
    await database?.drop();
  });

  const topUpsOf = (reference: string) =>
    withDatabase(database.url, async (client) => (await client.query(`SELECT amount FROM wallet_top_up WHERE reference = $1`, [reference])).rows.map((r) => Number(r.amount)));
  const send = (caller: Caller, request: TopUpRequest, idempotencyKey: string, timeoutMs?: number) =>
    RequestContext.run({ correlationId: randomUUID(), caller }, () => rpc.send(createTopUp, request, { idempotencyKey, timeoutMs }));

  it('applies a retried command once and answers the retry with the first reply', async () => {
    const reference = `充值-${randomUUID()}`;
    const key = randomUUID();
    const first = await send(BUYER, { reference, amount: 1_000_000 }, key);
    const retry = await send(BUYER, { amount: 1_000_000, reference }, key);
    expect(retry).toEqual(first);
    expect(await topUpsOf(reference)).toEqual([1_000_000]);
  });

  it('refuses the same key with a different request with 422 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const reference = `充值-${randomUUID()}`;
    const key = randomUUID();
    const first = await send(BUYER, { reference, amount: 1_000_000 }, key);
    await expect(send(BUYER, { reference, amount: 2_000_000 }, key)).rejects.toMatchObject({ code: CommonErrorCode.IDEMPOTENCY_KEY_REUSED, status: 422 });
    expect(await topUpsOf(reference)).toEqual([1_000_000]);
    expect(await send(BUYER, { reference, amount: 1_000_000 }, key)).toEqual(first);
  });

  it('replays a retry that says the same as the first in other words, as its contract reads them', async () => {
    const reference = `招商银行 CMB-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const first = await send(BUYER, { reference: `  ${reference}\n`, amount: 1_000_000 }, key);
    expect(await send(BUYER, { reference, amount: 1_000_000 }, key)).toEqual(first);
    expect(await topUpsOf(reference)).toEqual([1_000_000]);
    await expect(send(BUYER, { reference, amount: 1_000_001 }, key)).rejects.toMatchObject({ code: CommonErrorCode.IDEMPOTENCY_KEY_REUSED });
  });

  it('takes text that only looks like an id, in other letters, for another request', async () => {
    // A bank reference shaped like a UUID: capitals matter in it, as they do not in an id.
    const reference = randomUUID().toUpperCase();
    const key = randomUUID();
    await send(BUYER, { reference, amount: 1_000_000 }, key);
    await expect(send(BUYER, { reference: reference.toLowerCase(), amount: 1_000_000 }, key)).rejects.toMatchObject({ code: CommonErrorCode.IDEMPOTENCY_KEY_REUSED });
    expect(await topUpsOf(reference)).toEqual([1_000_000]);
  });

  it('still replays a record written when requests were hashed as sent', async () => {
    const reference = `  建设银行 CCB-${randomUUID().slice(0, 8)}  `;
    const key = randomUUID();
    const first = await send(BUYER, { reference, amount: 500_000 }, key);
    // As an earlier release recorded it: the hash of the body as sent.
    await withDatabase(database.url, (c) => c.query(`UPDATE processed_command SET request_hash = $2 WHERE idempotency_key = $1`, [key, requestHash({ reference, amount: 500_000 })]));
    expect(await send(BUYER, { reference, amount: 500_000 }, key)).toEqual(first);
    expect(await topUpsOf(reference.trim())).toEqual([500_000]);
  });

  it('keeps two organizations’ keys apart', async () => {
    const reference = `充值-${randomUUID()}`;
    const key = 'topup-2026-11-30-0001';
    const mine = await send(BUYER, { reference, amount: 300_000 }, key);
    const theirs = await send(OTHER_BUYER, { reference, amount: 300_000 }, key);
    expect(theirs.topUpId).not.toBe(mine.topUpId);
    expect(await topUpsOf(reference)).toEqual([300_000, 300_000]);
  });

  it('applies 50 concurrent duplicates once, and gives all of them the same reply', async () => {
    const reference = `充值-${randomUUID()}`;
    const key = randomUUID();
    const replies = await Promise.all(Array.from({ length: 50 }, () => send(BUYER, { reference, amount: 880_000 }, key, 20_000)));
    expect(new Set(replies.map((r) => r.topUpId)).size).toBe(1);
    expect(await topUpsOf(reference)).toEqual([880_000]);
  });

  describe('that asks another service before it opens its transaction', () => {
    const sendChecked = (caller: Caller, request: TopUpRequest, idempotencyKey: string) =>
      RequestContext.run({ correlationId: randomUUID(), caller }, () => rpc.send(checkedTopUp, request, { idempotencyKey, timeoutMs: 20_000 }));
    const openTransactions = () =>
      withDatabase(database.url, async (client) =>
        Number((await client.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`)).rows[0].n),
      );

    it('holds no transaction while the other service answers, applies once, and answers a retry from its record without asking again', async () => {
      const reference = `充值-招商银行-${randomUUID()}`;
      const key = randomUUID();
      let answer!: () => void;
      bankAnswer = new Promise((resolve) => (answer = resolve));
      const calls = bankCalls;
      const first = sendChecked(BUYER, { reference, amount: 520_000 }, key);
      try {
        await waitFor('the command to ask the other service', async () => bankCalls > calls);
        expect(await openTransactions()).toBe(0);
      } finally {
        answer();
        bankAnswer = undefined;
      }
      const reply = await first;
      expect(await topUpsOf(reference)).toEqual([520_000]);
      expect(await sendChecked(BUYER, { amount: 520_000, reference }, key)).toEqual(reply);
      expect(bankCalls).toBe(calls + 1);
      await expect(sendChecked(BUYER, { reference, amount: 530_000 }, key)).rejects.toMatchObject({ code: CommonErrorCode.IDEMPOTENCY_KEY_REUSED, status: 422 });
      expect(await topUpsOf(reference)).toEqual([520_000]);
    });

    it('applies 30 concurrent duplicates once, and gives all of them the same reply', async () => {
      const reference = `充值-工商银行-${randomUUID()}`;
      const key = randomUUID();
      const replies = await Promise.all(Array.from({ length: 30 }, () => sendChecked(BUYER, { reference, amount: 990_000 }, key)));
      expect(new Set(replies.map((r) => r.topUpId)).size).toBe(1);
      expect(await topUpsOf(reference)).toEqual([990_000]);
    });
  });

  it('will not send a command without an idempotency key', async () => {
    const before = executions;
    await expect(RequestContext.run({ correlationId: 'no-key', caller: BUYER }, () => rpc.send(createTopUp, { reference: 'x', amount: 1 }))).rejects.toThrow(
      /billing.top-up.create is a command/,
    );
    expect(executions).toBe(before);
  });

  it('refuses a command that reaches the service without a key', async () => {
    const reply = await rawRequest(createTopUp.subject, { reference: `充值-${randomUUID()}`, amount: 1 }, { [MessageHeaders.deadline]: String(Date.now() + 5_000) });
    expect(reply).toMatchObject({ ok: false, error: { code: CommonErrorCode.VALIDATION_FAILED, message: expect.stringContaining('idempotency key') } });
  });

  it('does not start a request whose deadline has passed', async () => {
    const before = executions;
    const reply = await rawRequest(quoteTopUp.subject, { reference: 'late', amount: 1 }, { [MessageHeaders.deadline]: String(Date.now() - 1) });
    expect(reply).toMatchObject({ ok: false, error: { code: CommonErrorCode.SERVICE_UNAVAILABLE } });
    expect(executions).toBe(before);
  });

  it('does not call another service on behalf of work whose own deadline has passed', async () => {
    const before = executions;
    const late = RequestContext.run({ correlationId: 'late-saga-step', caller: BUYER, deadline: Date.now() - 1 }, () =>
      rpc.send(quoteTopUp, { reference: 'late', amount: 1 }),
    );
    await expect(late).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE });
    expect(executions).toBe(before);
  });

  it('does not commit a command its caller gave up on; the retry applies it once', async () => {
    const reference = `充值-${randomUUID()}`;
    const key = randomUUID();
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    const started = executions;
    await expect(send(BUYER, { reference, amount: 660_000 }, key, 300)).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE, status: 503 });
    expect(executions).toBe(started + 1); // it did run, and inserted its row
    release();
    gate = undefined;
    // The late command ends in a rollback, which the service counts as SERVICE_UNAVAILABLE.
    await waitFor('the late command to end', async () => (await outcomes(createTopUp.subject, 'SERVICE_UNAVAILABLE')) >= 1);
    expect(await topUpsOf(reference)).toEqual([]);
    const retry = await send(BUYER, { reference, amount: 660_000 }, key);
    expect(await topUpsOf(reference)).toEqual([660_000]);
    expect(await send(BUYER, { reference, amount: 660_000 }, key)).toEqual(retry);
  });

  it('forgets processed commands a day after the stream would have dropped their events', async () => {
    const old = randomUUID();
    const recent = randomUUID();
    await withDatabase(database.url, (client) =>
      client.query(
        `INSERT INTO processed_command (scope, subject, idempotency_key, request_hash, response, processed_at)
         VALUES ('service:ordering', 'billing.top-up.create', $1, 'h', 'null', now() - interval '30 days'),
                ('service:ordering', 'billing.top-up.create', $2, 'h', 'null', now() - interval '1 day')`,
        [old, recent],
      ),
    );
    expect(await billing.get(ProcessedCommandJanitor).prune()).toBeGreaterThanOrEqual(1);
    const left = await withDatabase(database.url, async (client) =>
      (await client.query(`SELECT idempotency_key FROM processed_command WHERE idempotency_key = ANY($1)`, [[old, recent]])).rows.map((r) => r.idempotency_key),
    );
    expect(left).toEqual([recent]);
  });

  describe('from an audited gateway route', () => {
    const auditEvents = (topUpId: string) =>
      withDatabase(database.url, async (client) =>
        (await client.query(`SELECT payload FROM outbox WHERE subject = 'evt.billing.audit.recorded.v1' AND payload->>'targetId' = $1`, [topUpId])).rows.map((r) => r.payload),
      );
    const allAuditEvents = () =>
      withDatabase(database.url, async (client) => Number((await client.query(`SELECT count(*) FROM outbox WHERE subject = 'evt.billing.audit.recorded.v1'`)).rows[0].count));
    const audited = (mark: AuditMark, request: TopUpRequest, idempotencyKey: string) =>
      RequestContext.run({ correlationId: 'corr-topup-7', caller: BUYER, audit: mark }, () => rpc.send(createTopUp, request, { idempotencyKey }));

    it('writes the audit record in the transaction of the change, and tells the gateway it did', async () => {
      const mark: AuditMark = { action: 'wallet.top-up', targetType: 'top-up', targetId: null, successStatus: 201, ip: '203.0.113.9' };
      const reply = await audited(mark, { reference: `充值-${randomUUID()}`, amount: 2_000_000 }, randomUUID());
      expect(mark.recorded).toBe(true);
      expect(await auditEvents(reply.topUpId)).toEqual([
        {
          id: expect.any(String),
          at: expect.any(String),
          actorOrganizationId: BUYER.organizationId,
          actorKeyId: BUYER.keyId,
          actorRole: 'buyer',
          action: 'wallet.top-up',
          targetType: 'top-up',
          targetId: reply.topUpId,
          status: 201,
          correlationId: 'corr-topup-7',
          ip: '203.0.113.9',
        },
      ]);
    });

    it('writes the record of an action of three or more words too (wallet.top-up.confirm, dataset.version.file.remove)', async () => {
      const mark: AuditMark = { action: 'wallet.top-up.announce', targetType: 'top-up', targetId: null, successStatus: 201 };
      const reply = await audited(mark, { reference: `充值-${randomUUID()}`, amount: 300_000 }, randomUUID());
      expect(mark.recorded).toBe(true);
      expect(await auditEvents(reply.topUpId)).toEqual([expect.objectContaining({ action: 'wallet.top-up.announce', targetId: reply.topUpId, status: 201 })]);
    });

    it('writes no audit record for a refused command or a replay, and leaves them to the gateway', async () => {
      const before = await allAuditEvents();
      const refused: AuditMark = { action: 'wallet.top-up', targetType: 'top-up', targetId: null };
      await expect(audited(refused, { reference: `充值-${randomUUID()}`, amount: 200_000_000 }, randomUUID())).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(refused.recorded).toBeUndefined();
      expect(await allAuditEvents()).toBe(before);

      const key = randomUUID();
      const request = { reference: `充值-${randomUUID()}`, amount: 90_000 };
      await audited({ action: 'wallet.top-up', targetType: 'top-up', targetId: null }, request, key);
      const replayed: AuditMark = { action: 'wallet.top-up', targetType: 'top-up', targetId: null };
      await audited(replayed, request, key);
      expect(replayed.recorded).toBeUndefined();
      expect(await allAuditEvents()).toBe(before + 1);
    });
  });

  async function rawRequest(subject: string, body: unknown, extra: Record<string, string>): Promise<unknown> {
    const h = natsHeaders();
    for (const [name, value] of Object.entries(extra)) h.set(name, value);
    const msg = await nc.request(billing.get(Namespace).subject(subject), encodeJson(body), { timeout: 5_000, headers: h });
    return decodeJson(msg.data);
  }

  async function outcomes(subject: string, outcome: string): Promise<number> {
    const metric = await billing.get(MetricsService).rpcDuration.get();
    const count = metric.values.find(
      (v) => v.metricName?.endsWith('_count') && v.labels.subject === subject && v.labels.side === 'server' && v.labels.outcome === outcome,
    );
    return count?.value ?? 0;
  }
});
