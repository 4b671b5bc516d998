import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { PeriodicJob } from '@trove/platform';
import { ObjectStorage } from '../storage/object-storage';
import { StoredObjectRepository, type QueuedDeletion } from './stored-object.repository';

/**
 * A queued key this old is no longer being deleted by the request or pass that queued it: both
 * delete right after their commit, and a deletion of even a large file takes well under a second.
 */
export const QUEUED_DELETION_AGE_MS = 60 * 1000;
const SWEEP_INTERVAL_MS = 5 * 60 * 1000;
/** The keys one query of a pass takes; a pass goes on while a query finds this many. */
const KEYS_PER_QUERY = 1000;
/** Deletions failing one after the other that end a pass: the storage is likely down. */
const FAILURES_ENDING_A_PASS = 10;

/**
 * Deletes from storage the objects no row needs any more: a file replaced by a newer upload, an
 * upload refused after its bytes were stored, one catalog never listed. The transaction that
 * removes the row queues the key in `object_deletion`; the bytes are deleted right after the
 * commit, in the background (nobody waits for a 1 GiB file to go), and only then is the key
 * dequeued. A process that dies in between, or a storage that fails the deletion, leaves the key
 * queued: the sweep, at start-up and every five minutes on every replica, deletes it then. A
 * deletion done twice (two replicas, or a sweep racing the request) is harmless: deleting a
 * missing object succeeds on both drivers.
 */
@Injectable()
export class ObjectDeletions implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Uploads');
  private readonly job = new PeriodicJob(this.logger, 'could not delete the objects queued for deletion', () => this.pass(QUEUED_DELETION_AGE_MS));
  /** Deletions started by `start` and still running. */
  private readonly running = new Set<Promise<boolean>>();

  constructor(
    private readonly storage: ObjectStorage,
    private readonly objects: StoredObjectRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(SWEEP_INTERVAL_MS, { immediately: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
    // A request still finishing may start another deletion meanwhile.
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Deletes the queued `keys` in the background; a shutdown waits for them. */
  start(keys: string[]): void {
    for (const key of keys) {
      const deletion: Promise<boolean> = this.delete(key).finally(() => this.running.delete(deletion));
      this.running.add(deletion);
    }
  }

  /** Deletes a queued key's bytes, then dequeues it; answers false, leaving it queued for the sweep, if either fails. */
  async delete(key: string): Promise<boolean> {
    try {
      await this.storage.delete(key);
      await this.unitOfWork.run(() => this.objects.dequeueDeletion(key));
      return true;
    } catch (error) {
      this.logger.warn({ err: error, key }, 'an object no file needs could not be deleted; the sweep retries');
      return false;
    }
  }

  /** One pass over the keys queued more than `ageMs` ago; answers how many were deleted. */
  sweep(ageMs = QUEUED_DELETION_AGE_MS): Promise<number> {
    return this.job.run(() => this.pass(ageMs));
  }

  private async pass(ageMs: number): Promise<number> {
    const queuedBefore = new Date(Date.now() - ageMs);
    let deleted = 0;
    let failedInARow = 0;
    let after: QueuedDeletion | undefined;
    // In key order from where the last query stopped, so that keys that keep failing do not hold
    // back the rest; a storage that fails every deletion ends the pass (the next one retries).
    while (!this.job.stopping && failedInARow < FAILURES_ENDING_A_PASS) {
      const keys = await this.unitOfWork.read(() => this.objects.queuedDeletions(queuedBefore, KEYS_PER_QUERY, after));
      for (const queued of keys) {
        if (this.job.stopping || failedInARow >= FAILURES_ENDING_A_PASS) break;
        if (await this.delete(queued.key)) {
          deleted++;
          failedInARow = 0;
        } else {
          failedInARow++;
        }
      }
      if (keys.length < KEYS_PER_QUERY) break;
      after = keys[keys.length - 1];
    }
    if (deleted > 0) this.logger.warn({ deleted }, 'deleted objects whose deletion had been left unfinished');
    return deleted;
  }
}
