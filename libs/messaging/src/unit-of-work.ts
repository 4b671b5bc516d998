import { CommonErrorCode, type EventSubject } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RequestContext, ServiceException } from '@trove/platform';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, type EntityManager } from 'typeorm';
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
    try {
      await runner.connect();
      await runner.startTransaction();
      result = await units.run(unit, async () => {
        const value = await work(tx);
        for (const participant of this.participants) await participant(tx, value);
        return value;
      });
      if (pastDeadline()) {
        this.logger.warn('rolled back: the caller stopped waiting before the commit');
        throw new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, 'The caller stopped waiting before the work could commit; nothing was changed.');
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
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

/** The request that started this work has a deadline, and its caller has been told it failed. */
function pastDeadline(): boolean {
  const deadline = RequestContext.current()?.deadline;
  return deadline !== undefined && Date.now() >= deadline;
}
