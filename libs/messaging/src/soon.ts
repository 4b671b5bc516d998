import { Logger } from '@nestjs/common';

const queued: (() => void)[] = [];
let scheduled = false;
const logger = new Logger('Messaging');

/**
 * Runs `send` once the I/O callbacks being handled now are done, together with everything else
 * queued meanwhile. NATS writes what is sent in one go with one system call, so the acks, replies
 * and publishes of work that finished at about the same time (transactions whose commits were
 * answered in one turn of the event loop) leave together instead of one write each. The delay is
 * that of `setImmediate`: well under a millisecond.
 */
export function soon(send: () => void): void {
  queued.push(send);
  if (scheduled) return;
  scheduled = true;
  setImmediate(sendQueued);
}

function sendQueued(): void {
  scheduled = false;
  for (const send of queued.splice(0)) {
    try {
      send();
    } catch (error) {
      // An ack or a reply that cannot leave (the connection closed): the event is delivered
      // again, the caller's request times out; neither changes anything twice.
      logger.warn(`a message could not be sent: ${(error as Error).message}`);
    }
  }
}
