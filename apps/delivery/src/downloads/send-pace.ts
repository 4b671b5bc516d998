import type { Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { DeliveryConfig } from '../delivery.config';
import { watchPace } from '../pace';
import type { SendProgress } from './file-sender';

/**
 * Cuts off an answer (a download or a sample) whose client reads it slower on average than
 * DOWNLOAD_MIN_BYTES_PER_SECOND once DOWNLOAD_PACE_GRACE_MS have passed. `progress.sent` counts
 * the bytes the socket took: a client that stops reading stops it once the kernel's buffers
 * are full. The watch ends when the answer closes.
 */
export function cutOffSlowReaders(res: ServerResponse, progress: Pick<SendProgress, 'sent'>, config: DeliveryConfig, logger: Logger, what: string): void {
  const { DOWNLOAD_MIN_BYTES_PER_SECOND: minimumBytesPerSecond, DOWNLOAD_PACE_GRACE_MS: graceMs } = config;
  const stop = watchPace(
    { minimumBytesPerSecond, graceMs },
    () => progress.sent,
    () => res.writableFinished,
    (pace, elapsed) => {
      logger.warn(`${what} was read at ${Math.round(pace)} bytes/s on average over ${Math.round(elapsed / 1000)} s, below DOWNLOAD_MIN_BYTES_PER_SECOND=${minimumBytesPerSecond}: cut off`);
      res.destroy();
    },
  );
  res.once('close', stop);
}
