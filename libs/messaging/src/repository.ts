import type { EntityManager } from 'typeorm';
import { currentManager } from './unit-of-work';

/**
 * The base of every repository. It holds no connection of its own: each query runs on the
 * unit of work in progress (`UnitOfWork.run` or `UnitOfWork.read`), so a write cannot land
 * outside the command's transaction by mistake, and a repository called outside any unit of
 * work throws at once instead of writing on its own.
 *
 * Reads use `this.manager`; writes and row locks use `this.transaction`, which also refuses
 * to run inside a read.
 */
export abstract class TransactionalRepository {
  /** For reads: the current transaction, or the plain connection of a `read`. */
  protected get manager(): EntityManager {
    return currentManager(this.constructor.name, 'read');
  }

  /** For writes and `FOR UPDATE` locks: the current transaction; throws outside `run`. */
  protected get transaction(): EntityManager {
    return currentManager(this.constructor.name, 'write');
  }
}
