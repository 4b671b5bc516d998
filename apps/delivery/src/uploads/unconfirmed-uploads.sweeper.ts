import { CatalogSubjects, LISTED_OBJECTS_PER_REQUEST } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { PeriodicJob } from '@trove/platform';
import { ObjectDeletions } from './object-deletions';
import type { StoredObject } from './stored-object.entity';
import { StoredObjectRepository } from './stored-object.repository';

/**
 * An upload still unconfirmed this long after its bytes were stored has no request waiting on
 * it any more: catalog is asked right after the bytes are stored, within RPC_TIMEOUT_MS (3 s),
 * and catalog does not commit past that deadline.
 */
export const UNCONFIRMED_UPLOAD_AGE_MS = 5 * 60 * 1000;
const SWEEP_INTERVAL_MS = 5 * 60 * 1000;
/** The uploads one query of a pass takes; a pass goes on while a query finds this many. */
const UPLOADS_PER_QUERY = 1000;
/** How long after its expiry a spent upload URL is remembered. */
const SPENT_URL_MARGIN_MS = 60 * 1000;
/** A sweep is in no hurry: catalog's answer for a hundred objects may take longer than a request's. */
const SWEEP_RPC_TIMEOUT_MS = 10_000;

export interface SweepOutcome {
  /** Catalog lists them: recorded now, as their upload would have. */
  confirmed: number;
  /** Catalog does not: their rows and objects deleted. */
  deleted: number;
}

/**
 * Settles the uploads whose catalog answer delivery never saw: its process died between storing
 * the bytes and recording catalog's answer, catalog did not answer in time, or the recording
 * failed after catalog took the file. Catalog's listing decides, object by object: an object it
 * lists is recorded here (so its version's manifest and downloads have it, and the root can be
 * kept), one it does not list is deleted with its row (its bytes through ObjectDeletions), so no
 * storage is kept for nothing. At
 * start-up and every five minutes, on every replica (each object is settled under its file's
 * lock, once). Each pass also forgets the spent upload URLs that have expired.
 */
@Injectable()
export class UnconfirmedUploadsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Uploads');
  // A pass logs its own failure, with what it settled before.
  private readonly job = new PeriodicJob(this.logger, 'could not settle the uploads catalog never confirmed', () => this.pass(UNCONFIRMED_UPLOAD_AGE_MS));

  constructor(
    private readonly objects: StoredObjectRepository,
    private readonly deletions: ObjectDeletions,
    private readonly unitOfWork: UnitOfWork,
    private readonly rpc: RpcClient,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(SWEEP_INTERVAL_MS, { immediately: true });
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** One pass over the uploads stored more than `ageMs` ago and never confirmed; one at a time. */
  sweep(ageMs = UNCONFIRMED_UPLOAD_AGE_MS): Promise<SweepOutcome> {
    return this.job.run(() => this.pass(ageMs));
  }

  private async pass(ageMs: number): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { confirmed: 0, deleted: 0 };
    try {
      const storedBefore = new Date(Date.now() - ageMs);
      // Each query's uploads are settled (recorded or deleted) before the next query, so none
      // comes twice; one that cannot be settled ends the pass with an error.
      for (;;) {
        const uploads = await this.unitOfWork.read(() => this.objects.unconfirmed(storedBefore, UPLOADS_PER_QUERY));
        for (let at = 0; at < uploads.length; at += LISTED_OBJECTS_PER_REQUEST) {
          await this.settle(uploads.slice(at, at + LISTED_OBJECTS_PER_REQUEST), outcome);
        }
        if (uploads.length < UPLOADS_PER_QUERY) break;
      }
    } catch (error) {
      this.logger.error({ err: error, ...outcome }, 'could not settle the uploads catalog never confirmed; the next pass retries');
    }
    if (outcome.confirmed + outcome.deleted > 0) this.logger.warn(outcome, 'settled uploads catalog never confirmed');
    await this.forgetExpiredUrls();
    return outcome;
  }

  /**
   * Spent upload URLs are kept until they expire, and a minute more for clocks that disagree:
   * from then on admit() refuses them as expired, whoever spent them.
   */
  private async forgetExpiredUrls(): Promise<void> {
    try {
      await this.unitOfWork.run(() => this.objects.forgetSpentUrls(new Date(Date.now() - SPENT_URL_MARGIN_MS)));
    } catch (error) {
      this.logger.error({ err: error }, 'could not forget the spent upload URLs that expired; the next pass retries');
    }
  }

  private async settle(uploads: StoredObject[], outcome: SweepOutcome): Promise<void> {
    const listed = new Set(await this.listed(uploads, SWEEP_RPC_TIMEOUT_MS));
    for (const upload of uploads) {
      const settled = await this.unitOfWork.run(async () => {
        if (!(await this.objects.lockUnconfirmed(upload))) return null;
        // Catalog may have recorded a newer upload of the same file since it answered: asked
        // again under the file's lock, which that upload held while catalog recorded it, the
        // answer holds until this commits. (One it did not list it never will: its upload's
        // deadline is long past.)
        if (listed.has(upload.key) && (await this.listed([upload], undefined)).length > 0) {
          return { confirmed: true, deletable: await this.objects.markRecorded(upload) };
        }
        await this.objects.remove(upload.key);
        return { confirmed: false, deletable: [upload.key] };
      });
      if (!settled) continue;
      if (settled.confirmed) outcome.confirmed++;
      else outcome.deleted++;
      for (const key of settled.deletable) await this.deletions.delete(key);
    }
  }

  /** The storage keys of `uploads` catalog lists now. */
  private async listed(uploads: StoredObject[], timeoutMs: number | undefined): Promise<string[]> {
    const objects = uploads.map((o) => ({ target: o.target, datasetId: o.datasetId, versionId: o.versionId, path: o.path, storageKey: o.key }));
    return (await this.rpc.send(CatalogSubjects.listedObjects, { objects }, timeoutMs === undefined ? {} : { timeoutMs })).listed;
  }
}
