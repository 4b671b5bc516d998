import { CatalogSubjects, LISTED_OBJECTS_PER_REQUEST } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { ObjectStorage } from '../storage/object-storage';
import type { StoredObject } from './stored-object.entity';
import { StoredObjectRepository } from './stored-object.repository';

/**
 * An upload still unconfirmed this long after its bytes were stored has no request waiting on
 * it any more: catalog is asked right after the bytes are stored, within RPC_TIMEOUT_MS (3 s),
 * and catalog does not commit past that deadline.
 */
export const UNCONFIRMED_UPLOAD_AGE_MS = 5 * 60 * 1000;
const SWEEP_INTERVAL_MS = 5 * 60 * 1000;
/** The most uploads one pass settles; the next pass takes the rest. */
const UPLOADS_PER_PASS = 1000;

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
 * kept), one it does not list is deleted with its row, so no storage is kept for nothing. At
 * start-up and every five minutes, on every replica (each object is settled under its file's
 * lock, once).
 */
@Injectable()
export class UnconfirmedUploadsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Uploads');
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepOutcome>;

  constructor(
    private readonly objects: StoredObjectRepository,
    private readonly storage: ObjectStorage,
    private readonly unitOfWork: UnitOfWork,
    private readonly rpc: RpcClient,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
    void this.sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the uploads stored more than `ageMs` ago and never confirmed; one at a time. */
  sweep(ageMs = UNCONFIRMED_UPLOAD_AGE_MS): Promise<SweepOutcome> {
    this.running ??= this.pass(ageMs).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(ageMs: number): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { confirmed: 0, deleted: 0 };
    try {
      const uploads = await this.unitOfWork.read(() => this.objects.unconfirmed(new Date(Date.now() - ageMs), UPLOADS_PER_PASS));
      for (let at = 0; at < uploads.length; at += LISTED_OBJECTS_PER_REQUEST) {
        await this.settle(uploads.slice(at, at + LISTED_OBJECTS_PER_REQUEST), outcome);
      }
    } catch (error) {
      this.logger.error({ err: error, ...outcome }, 'could not settle the uploads catalog never confirmed; the next pass retries');
    }
    if (outcome.confirmed + outcome.deleted > 0) this.logger.warn(outcome, 'settled uploads catalog never confirmed');
    return outcome;
  }

  private async settle(uploads: StoredObject[], outcome: SweepOutcome): Promise<void> {
    const { listed } = await this.rpc.send(CatalogSubjects.listedObjects, {
      objects: uploads.map((o) => ({ target: o.target, datasetId: o.datasetId, versionId: o.versionId, path: o.path, storageKey: o.key })),
    });
    const inCatalog = new Set(listed);
    for (const upload of uploads) {
      if (inCatalog.has(upload.key)) {
        const replaced = await this.unitOfWork.run(() => this.objects.confirm(upload));
        if (replaced === null) continue;
        outcome.confirmed++;
        for (const old of replaced) await this.deleteObject(old);
      } else if (await this.unitOfWork.run(() => this.objects.forgetUnconfirmed(upload))) {
        outcome.deleted++;
        await this.deleteObject(upload.key);
      }
    }
  }

  private async deleteObject(key: string): Promise<void> {
    await this.storage.delete(key).catch((error: unknown) => this.logger.warn({ err: error, key }, 'an object no file needs could not be deleted'));
  }
}
