import { CommonErrorCode } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { ServiceException } from '@trove/platform';
import type { IncomingMessage } from 'node:http';
import { DeliveryConfig } from '../delivery.config';
import { watchPace } from '../pace';

/**
 * What one upload may hold, and for how long. An upload URL stays valid for an hour and may be
 * used several times at once, and an idle timeout alone lets a client that sends a byte now and
 * then keep its connection, its buffers and its file open for ever: a few hundred such PUTs from
 * one vendor key took delivery's memory. So each organization runs at most
 * UPLOAD_MAX_CONCURRENT_PER_ORGANIZATION uploads at once on a replica (`429 RATE_LIMITED`
 * beyond), and an upload that has averaged less than UPLOAD_MIN_BYTES_PER_SECOND once
 * UPLOAD_PACE_GRACE_MS have passed is cut off (the connection is closed; nothing is kept).
 */
@Injectable()
export class UploadPace {
  private readonly logger = new Logger('UploadPace');
  private readonly running = new Map<string, number>();

  constructor(private readonly config: DeliveryConfig) {}

  /** Uploads of the organization running on this replica now. */
  runningOf(organizationId: string): number {
    return this.running.get(organizationId) ?? 0;
  }

  /** Admits an upload of the organization, or refuses it; `release` once it has settled. */
  admit(organizationId: string, request: IncomingMessage): { release: () => void } {
    const limit = this.config.UPLOAD_MAX_CONCURRENT_PER_ORGANIZATION;
    const count = this.running.get(organizationId) ?? 0;
    if (count >= limit) {
      throw new ServiceException(
        CommonErrorCode.RATE_LIMITED,
        `This organization already has ${count} uploads running on this server, the most it may run at once: send the next one when one has finished.`,
      );
    }
    this.running.set(organizationId, count + 1);
    const stopWatching = this.watch(request, organizationId);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        stopWatching();
        const left = (this.running.get(organizationId) ?? 1) - 1;
        if (left > 0) this.running.set(organizationId, left);
        else this.running.delete(organizationId);
      },
    };
  }

  /** Cuts the upload off when its average pace falls below the minimum after the grace period. */
  private watch(request: IncomingMessage, organizationId: string): () => void {
    const { UPLOAD_MIN_BYTES_PER_SECOND: minimumBytesPerSecond, UPLOAD_PACE_GRACE_MS: graceMs } = this.config;
    const socket = request.socket;
    // The socket may have carried earlier requests of a kept-alive connection.
    const startBytes = socket.bytesRead;
    return watchPace(
      { minimumBytesPerSecond, graceMs },
      () => socket.bytesRead - startBytes,
      () => request.complete,
      (pace, elapsed) => {
        this.logger.warn(`an upload of organization ${organizationId} averaged ${Math.round(pace)} bytes/s over ${Math.round(elapsed / 1000)} s, below UPLOAD_MIN_BYTES_PER_SECOND=${minimumBytesPerSecond}: cut off`);
        // The receive then fails as an aborted upload and keeps nothing.
        socket.destroy();
      },
    );
  }
}
