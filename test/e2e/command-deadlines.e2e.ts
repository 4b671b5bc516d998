import 'reflect-metadata';
import { CommonErrorCode } from '@trove/contracts';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { RpcClient } from '@trove/messaging';
import { RequestContext, type Caller } from '@trove/platform';
import { startService } from '../../libs/messaging/test/messaging-harness';
import { gates, recordTopUp, TOP_UP_TABLE, type TopUpRecorded } from '../fixtures/top-up.contract';
import { deleteStream, NATS_URL, newNamespace } from '../support/nats';
import { createAppDatabase, withDatabase, type TestDatabase } from '../support/postgres';
import { NodeProcess, waitFor } from '../support/processes';

jest.setTimeout(120_000);

const BUYER: Caller = { organizationId: '7b1e3c5d-2f4a-4e6b-8c9d-000000000301', role: 'buyer', keyId: '7b1e3c5d-2f4a-4e6b-8c9d-0000000003a1' };

/**
 * A command whose service freezes (SIGSTOP) or whose reply is lost: the caller is told 503, and
 * whatever happens later, the command takes effect at most once and a retry with the same
 * idempotency key gets its result.
 */
describe('a command, its deadline and its retry, across processes', () => {
  let database: TestDatabase;
  let namespace: string;
  let service: NodeProcess;
  let caller: TestingModule;
  let gate: Client;

  beforeAll(async () => {
    database = await createAppDatabase('billing', 'command_deadlines');
    await withDatabase(database.url, (client) => client.query(TOP_UP_TABLE));
    namespace = newNamespace();
    service = new NodeProcess('dist/test/fixtures/top-up-service.js', { DATABASE_URL: database.url, NATS_URL, TROVE_NAMESPACE: namespace, LOG_LEVEL: 'warn' }).start();
    await waitFor('the top-up service to start', async () => service.output.includes('top-up service started'));
    caller = await startService({ databaseUrl: database.url, namespace, natsUrl: NATS_URL }, { service: 'gateway' });
    gate = new Client({ connectionString: database.url });
    await gate.connect();
  });

  afterAll(async () => {
    service?.kill('SIGCONT');
    await service?.stop();
    await gate?.end();
    await caller?.close();
    await deleteStream(namespace);
    await database?.drop();
  });

  const send = (reference: string, idempotencyKey: string, timeoutMs: number) =>
    RequestContext.run({ correlationId: randomUUID(), caller: BUYER }, () =>
      caller.get(RpcClient).send(recordTopUp, { reference, amount: 5_000_000 }, { idempotencyKey, timeoutMs }),
    );
  const topUps = (reference: string) =>
    withDatabase(database.url, async (client) => (await client.query(`SELECT id, amount FROM wallet_top_up WHERE reference = $1`, [reference])).rows as { id: string; amount: string }[]);
  const hold = (name: string) => gate.query(`SELECT pg_advisory_lock(hashtext($1))`, [name]);
  const release = (name: string) => gate.query(`SELECT pg_advisory_unlock(hashtext($1))`, [name]);
  /** The command is inside its transaction, waiting at the gate the test holds. */
  const waitingAtGate = () =>
    waitFor('the command to wait at the gate', async () => {
      const { rows } = await gate.query(`SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
      return rows[0].waiting > 0;
    });

  it('never commits a command frozen past its deadline; the retry applies it once and returns its result', async () => {
    const reference = `招商银行转账 CMB-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    await hold(gates.beforeCommit(reference));
    const first = send(reference, key, 1_500);
    await waitingAtGate();
    service.kill('SIGSTOP');
    await expect(first).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE, status: 503 });

    await release(gates.beforeCommit(reference));
    service.kill('SIGCONT');
    await waitFor('the late command to roll back', async () => service.output.includes('rolled back: the caller stopped waiting before the commit'));
    expect(await topUps(reference)).toEqual([]);

    const retry = await send(reference, key, 10_000);
    const rows = await topUps(reference);
    expect(rows).toEqual([{ id: retry.topUpId, amount: '5000000' }]);
    expect(await send(reference, key, 10_000)).toEqual(retry);
    expect(await topUps(reference)).toHaveLength(1);
  });

  it('answers a retry after a lost reply with the stored result, and applies nothing again', async () => {
    const reference = `工商银行转账 ICBC-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    await hold(gates.beforeReply(reference));
    const first = send(reference, key, 1_500);
    await waitingAtGate(); // committed, and held before its reply
    await expect(first).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE, status: 503 });
    const [applied] = await topUps(reference);
    expect(applied).toMatchObject({ amount: '5000000' });
    await release(gates.beforeReply(reference));

    const retry: TopUpRecorded = await send(reference, key, 10_000);
    expect(retry).toEqual({ topUpId: applied.id, reference, amount: 5_000_000 });
    expect(await topUps(reference)).toHaveLength(1);
  });
});
