import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PeriodicJob } from '@trove/platform';
import { FsObjectStorage } from './fs-object-storage';
import { ObjectStorage } from './object-storage';

/**
 * A temporary file no put of this process owns and that has not grown for this long is dead:
 * a connection idle for HTTP_IDLE_TIMEOUT_MS (2 minutes by default) is closed, and a put writes
 * its file every 8 MiB, so only an upload slower than about 400 bytes a second on another
 * replica sharing the directory could still own it.
 */
export const ABANDONED_PUT_IDLE_MS = 6 * 60 * 60 * 1000;
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes what uploads cut off by a dead process left on the filesystem driver's disk (their
 * temporary files), at start-up and every hour, so that a crash during a 50 GiB upload does not
 * keep 50 GiB for good. A put that fails while its process lives cleans up after itself; S3
 * drops incomplete multipart uploads by the bucket's lifecycle rule (docs/storage.md).
 */
@Injectable()
export class AbandonedPutsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Storage');
  // A pass logs its own failure.
  private readonly job = new PeriodicJob(this.logger, 'could not sweep the temporary files of abandoned uploads', () => this.sweep());

  constructor(private readonly storage: ObjectStorage) {}

  onApplicationBootstrap(): void {
    if (!(this.storage instanceof FsObjectStorage)) return;
    this.job.start(SWEEP_INTERVAL_MS, { immediately: true });
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** One pass; answers how many temporary files it deleted. */
  async sweep(): Promise<number> {
    if (!(this.storage instanceof FsObjectStorage)) return 0;
    try {
      const deleted = await this.storage.sweepAbandonedPuts(ABANDONED_PUT_IDLE_MS);
      if (deleted > 0) this.logger.warn({ deleted }, 'deleted the temporary files of uploads cut off by a process that died');
      return deleted;
    } catch (error) {
      this.logger.error({ err: error }, 'could not sweep the temporary files of abandoned uploads; the next pass retries');
      return 0;
    }
  }
}
