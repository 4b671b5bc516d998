import 'reflect-metadata';
import { CommonErrorCode, eventSubject } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IsInt, IsUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { TransactionalRepository, UnitOfWork } from '@trove/messaging';
import { RequestContext } from '@trove/platform';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { startService, type ServiceEnv } from './messaging-harness';

jest.setTimeout(60_000);

class WalletToppedUpV1 {
  @IsUUID()
  topUpId: string;

  @IsInt()
  amount: number;
}

const walletToppedUp = eventSubject('evt.billing.wallet.topped-up.v1', WalletToppedUpV1);

/** A buyer's wallet top-up, as billing would keep it: integer fen, one row per top-up. */
@Injectable()
class TopUpRepository extends TransactionalRepository {
  async insert(buyer: string, amount: number): Promise<string> {
    const id = randomUUID();
    await this.transaction.query(`INSERT INTO wallet_top_up (id, buyer, amount) VALUES ($1, $2, $3)`, [id, buyer, amount]);
    return id;
  }

  async count(buyer: string): Promise<number> {
    const [{ count }] = (await this.manager.query(`SELECT count(*)::int AS count FROM wallet_top_up WHERE buyer = $1`, [buyer])) as { count: number }[];
    return count;
  }
}

const BUYER = '华东智能语音实验室 / East China Speech Lab';

describe('the unit of work', () => {
  let database: TestDatabase;
  let env: ServiceEnv;
  let billing: TestingModule;
  let uow: UnitOfWork;
  let topUps: TopUpRepository;

  beforeAll(async () => {
    database = await createAppDatabase('billing', 'uow');
    await withDatabase(database.url, (client) =>
      client.query(`CREATE TABLE wallet_top_up (id uuid PRIMARY KEY, buyer text NOT NULL, amount bigint NOT NULL CHECK (amount > 0))`),
    );
    env = { databaseUrl: database.url, namespace: newNamespace(), natsUrl: NATS_URL };
    billing = await startService(env, { service: 'billing', providers: [TopUpRepository] });
    uow = billing.get(UnitOfWork);
    topUps = billing.get(TopUpRepository);
  });

  afterAll(async () => {
    await billing?.close();
    await deleteStream(env.namespace);
    await database?.drop();
  });

  const rows = (sql: string, params: unknown[] = []) => withDatabase(database.url, async (client) => (await client.query(sql, params)).rows);
  const storedTopUps = async (buyer: string) => (await rows(`SELECT amount FROM wallet_top_up WHERE buyer = $1`, [buyer])).map((r) => Number(r.amount));
  const outboxFor = async (topUpId: string) => rows(`SELECT subject FROM outbox WHERE payload->>'topUpId' = $1`, [topUpId]);

  it('refuses a repository used outside a unit of work, and writes nothing', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    await expect(topUps.insert(buyer, 129_900)).rejects.toThrow(/TopUpRepository was used outside a unit of work/);
    await expect(topUps.count(buyer)).rejects.toThrow(/outside a unit of work/);
    expect(await storedTopUps(buyer)).toEqual([]);
  });

  it('refuses a write inside a read', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    await expect(uow.read(() => topUps.insert(buyer, 129_900))).rejects.toThrow(/wrote inside unitOfWork.read/);
    expect(await storedTopUps(buyer)).toEqual([]);
  });

  it('commits the state change and its event together', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    const id = await uow.run(async (tx) => {
      const topUpId = await topUps.insert(buyer, 500_000);
      await tx.publish(walletToppedUp, { topUpId, amount: 500_000 });
      return topUpId;
    });
    expect(await storedTopUps(buyer)).toEqual([500_000]);
    expect(await outboxFor(id)).toEqual([{ subject: 'evt.billing.wallet.topped-up.v1' }]);
    expect(await uow.read(() => topUps.count(buyer))).toBe(1);
  });

  it('rolls back the state change and its event together when the work fails', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    let id = '';
    await expect(
      uow.run(async (tx) => {
        id = await topUps.insert(buyer, 500_000);
        await tx.publish(walletToppedUp, { topUpId: id, amount: 500_000 });
        await topUps.insert(buyer, -1); // breaks the CHECK: the whole unit goes
      }),
    ).rejects.toThrow(/check constraint/);
    expect(await storedTopUps(buyer)).toEqual([]);
    expect(await outboxFor(id)).toEqual([]);
  });

  it('refuses an event that breaks its contract, and commits neither it nor the change', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    let id = '';
    // Typed code can still build what no consumer would apply: a fractional amount, an extra field.
    const payload = { topUpId: '', amount: 0.5, internalNote: '内部备注' } as unknown as WalletToppedUpV1;
    await expect(
      uow.run(async (tx) => {
        id = await topUps.insert(buyer, 500_000);
        await tx.publish(walletToppedUp, { ...payload, topUpId: id });
      }),
    ).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED });
    expect(await storedTopUps(buyer)).toEqual([]);
    expect(await outboxFor(id)).toEqual([]);
  });

  it('joins a nested run to the outer transaction', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    await expect(
      uow.run(async () => {
        await uow.run(async () => topUps.insert(buyer, 100));
        // The inner run did not commit on its own: the outer one sees its row, and takes it back.
        expect(await topUps.count(buyer)).toBe(1);
        throw new Error('the buyer cancelled');
      }),
    ).rejects.toThrow('the buyer cancelled');
    expect(await storedTopUps(buyer)).toEqual([]);
  });

  it('runs after-commit effects after a commit only, and keeps the commit when one fails', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    const seen: string[] = [];
    await uow.run(async (tx) => {
      await topUps.insert(buyer, 100);
      tx.afterCommit(async () => seen.push(`committed ${(await storedTopUps(buyer)).length}`));
      tx.afterCommit(() => {
        throw new Error('broadcast failed');
      });
    });
    await uow
      .run(async (tx) => {
        tx.afterCommit(() => seen.push('rolled back'));
        throw new Error('declined');
      })
      .catch(() => undefined);
    expect(seen).toEqual(['committed 1']);
    expect(await storedTopUps(buyer)).toEqual([100]);
  });

  it('makes a participant commit with the work or not at all', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    let failParticipant = true;
    uow.enlist(async (tx) => {
      if (RequestContext.current()?.correlationId !== `participant-${buyer}`) return;
      await tx.manager.query(`INSERT INTO wallet_top_up (id, buyer, amount) VALUES ($1, $2, $3)`, [randomUUID(), buyer, failParticipant ? -1 : 1]);
    });
    const work = () => RequestContext.run({ correlationId: `participant-${buyer}` }, () => uow.run(() => topUps.insert(buyer, 700)));
    await expect(work()).rejects.toThrow(/check constraint/);
    expect(await storedTopUps(buyer)).toEqual([]);
    failParticipant = false;
    await work();
    expect((await storedTopUps(buyer)).sort()).toEqual([1, 700]);
  });

  it('does not commit once the deadline of the request has passed', async () => {
    const buyer = `${BUYER} ${randomUUID()}`;
    const deadline = Date.now() + 20;
    const late = RequestContext.run({ correlationId: 'late', deadline }, () =>
      uow.run(async () => {
        await topUps.insert(buyer, 129_900);
        while (Date.now() <= deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      }),
    );
    await expect(late).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE, status: 503 });
    expect(await storedTopUps(buyer)).toEqual([]);
  });
});
