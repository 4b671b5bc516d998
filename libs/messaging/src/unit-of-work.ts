import { CommonErrorCode, type EventSubject } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RequestContext, ServiceException } from '@trove/platform';
import { AsyncLocalStorage } from 'node:async_hooks';
import { escapeLiteral } from 'pg';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { writeOutboxRow, type OutboxRecord } from './outbox.writer';
import { OutboxRelay } from './outbox.relay';

/** A transaction in progress, and the events that commit with it. */
export interface Transaction {
  manager: EntityManager;
  /** Records an event in the outbox, inside this transaction. Returns the event id. */
  publish<P extends object>(event: EventSubject<P>, payload: P): Promise<string>;
  /**
   * Runs `effect` once the transaction has committed, never if it rolls back: broadcasts,
   * cache invalidation, anything the outside world must not see before the commit. A failing
   * effect is logged; the commit stands.
   */
  afterCommit(effect: () => unknown): void;
}

/** Work that joins every transaction of the app right before it commits (the gateway's audit record). */
export type CommitParticipant = (tx: Transaction, result: unknown) => Promise<void>;

/** The work in progress: a transaction, or a read that needs none. */
interface Unit {
  manager: EntityManager;
  transaction?: Transaction;
  ended: boolean;
}

const units = new AsyncLocalStorage<Unit>();

/**
 * The EntityManager of the unit of work in progress. Repositories get it through
 * TransactionalRepository; anything else should not need it.
 */
export function currentManager(user: string, needs: 'read' | 'write'): EntityManager {
  const unit = units.getStore();
  if (!unit) {
    throw new Error(`${user} was used outside a unit of work: wrap the call in unitOfWork.run(...) (writes) or unitOfWork.read(...) (reads).`);
  }
  if (unit.ended) throw new Error(`${user} was used after its unit of work had ended: await every query inside run(...) or read(...).`);
  if (needs === 'write' && !unit.transaction) {
    throw new Error(`${user} wrote inside unitOfWork.read(...), which has no transaction: use unitOfWork.run(...) to change state.`);
  }
  return unit.manager;
}

/**
 * One command, one transaction. `run` binds a transaction to the async context: every
 * repository called inside it, however deep, uses that transaction, and a repository called
 * outside any unit of work throws instead of writing on its own. A nested `run` joins the outer
 * transaction. The state change, its events (outbox) and the participants' rows (audit) commit
 * together; the commit is refused once the caller's deadline has passed, so work the caller
 * gave up on never takes effect. Right after a commit that wrote events, the relay publishes the
 * ones the transaction could claim itself and claims the others.
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger('UnitOfWork');
  private readonly participants: CommitParticipant[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
  ) {}

  /** Adds `participant` to every transaction this app commits from now on. */
  enlist(participant: CommitParticipant): void {
    this.participants.push(participant);
  }

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const outer = units.getStore();
    if (outer?.transaction && !outer.ended) return work(outer.transaction);
    return this.transaction(work);
  }

  /**
   * Reads without a transaction: no BEGIN/COMMIT round trips, each query sees the latest
   * committed data. Inside `run`, reads use the transaction instead and see its own writes.
   */
  read<T>(work: () => Promise<T>): Promise<T> {
    const outer = units.getStore();
    if (outer && !outer.ended) return work();
    const unit: Unit = { manager: this.dataSource.manager, ended: false };
    return units.run(unit, work).finally(() => (unit.ended = true));
  }

  private async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    const effects: (() => unknown)[] = [];
    /** Events this transaction claimed itself, published right after the commit; and how many the relay must claim. */
    const claimed: OutboxRecord[] = [];
    let unclaimed = 0;
    const unit: Unit = { manager: runner.manager, ended: false };
    const tx: Transaction = {
      manager: runner.manager,
      publish: async (event, payload) => {
        if (unit.ended) throw new Error('tx.publish was called after its transaction had ended.');
        const written = await writeOutboxRow(runner.manager, event, payload, this.relay.writerLeaseMs);
        if (written.claimed) claimed.push(written.claimed);
        else unclaimed++;
        return written.id;
      },
      afterCommit: (effect) => void effects.push(effect),
    };
    unit.transaction = tx;
    let result: T;
    let opened = false;
    try {
      const connection = (await runner.connect()) as PgConnection;
      // BEGIN waits for the transaction's first statement and goes with it: TypeORM is told the
      // transaction is open, the first query through it sends START TRANSACTION first, and a
      // statement of ours (see `queryOpening`) carries it in the same round trip.
      transactionState(runner, true);
      const query = runner.query.bind(runner) as (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;
      runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
        if (!opened) {
          opened = true;
          await query('START TRANSACTION');
        }
        return query(sql, parameters, structured);
      }) as typeof runner.query;
      openers.set(tx, async (sql, parameters) => {
        const inlined = opened ? undefined : inline(sql, parameters);
        if (inlined === undefined) return (await tx.manager.query(sql, parameters)) as unknown[];
        opened = true;
        const results = (await connection.query(`START TRANSACTION; ${inlined}`)) as unknown as { rows: unknown[] }[];
        return results[1].rows;
      });
      result = await units.run(unit, async () => {
        const value = await work(tx);
        for (const participant of this.participants) await participant(tx, value);
        return value;
      });
      if (pastDeadline()) {
        this.logger.warn('rolled back: the caller stopped waiting before the commit');
        throw new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, 'The caller stopped waiting before the work could commit; nothing was changed.');
      }
      if (opened) await runner.commitTransaction();
      else closeUnopened(runner);
    } catch (error) {
      if (!opened) closeUnopened(runner);
      else if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      unit.ended = true;
      await runner.release();
    }
    this.relay.publishCommitted(claimed);
    if (unclaimed > 0) this.relay.kick();
    for (const effect of effects) {
      try {
        await effect();
      } catch (error) {
        this.logger.error({ err: error }, 'an after-commit effect failed; the commit stands');
      }
    }
    return result;
  }
}

interface PgConnection {
  query(sql: string): Promise<unknown>;
}

/** How a transaction sends its first statement together with its START TRANSACTION. */
const openers = new WeakMap<Transaction, (sql: string, parameters: unknown[]) => Promise<unknown[]>>();

/**
 * Runs `sql` in `tx`; when it is the transaction's first statement, in the same round trip as
 * the transaction's START TRANSACTION. For the messaging layer's own first statements (a
 * consumer's position and inbox, a command's idempotency record), whose parameters are plain
 * strings and numbers: they go inline as quoted literals then (any other value, or a string
 * PostgreSQL could not take as text, goes as a parameter in a round trip of its own).
 */
export function queryOpening(tx: Transaction, sql: string, parameters: unknown[]): Promise<unknown[]> {
  const open = openers.get(tx);
  return open ? open(sql, parameters) : (tx.manager.query(sql, parameters) as Promise<unknown[]>);
}

/** `sql` with `$n` replaced by `parameters[n - 1]` as SQL literals, or undefined when one cannot be. */
function inline(sql: string, parameters: unknown[]): string | undefined {
  const literals: string[] = [];
  for (const value of parameters) {
    if (value === null || value === undefined) literals.push('NULL');
    else if (typeof value === 'number' && Number.isSafeInteger(value)) literals.push(String(value));
    else if (typeof value === 'string' && !value.includes('\u0000')) literals.push(escapeLiteral(value));
    else return undefined;
  }
  return sql.replace(/\$(\d+)/g, (_, n: string) => literals[Number(n) - 1]);
}

/** What TypeORM's startTransaction and commitTransaction record, without their statements. */
function transactionState(runner: QueryRunner, open: boolean): void {
  const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
  state.isTransactionActive = open;
  state.transactionDepth = open ? 1 : 0;
}

/** A transaction that never sent a statement has nothing to commit or roll back. */
function closeUnopened(runner: QueryRunner): void {
  transactionState(runner, false);
}

/** The request that started this work has a deadline, and its caller has been told it failed. */
function pastDeadline(): boolean {
  const deadline = RequestContext.current()?.deadline;
  return deadline !== undefined && Date.now() >= deadline;
}
