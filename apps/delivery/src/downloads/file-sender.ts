import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { STREAM_BUFFER_BYTES } from '../storage/object-storage';

/** Idle 1 MiB buffers, reused by every download: no allocation, and no garbage, per MiB served. */
const idle: Buffer[] = [];
/** At most this many idle buffers are kept (32 MiB); more are left to the garbage collector. */
const MAX_IDLE = 32;

function take(): Buffer {
  return idle.pop() ?? Buffer.allocUnsafeSlow(STREAM_BUFFER_BYTES);
}

/**
 * Writes bytes start..end (inclusive) of an open file to the response, in 1 MiB reads into two
 * buffers that take turns: the next read runs while the kernel takes the last write, and a
 * buffer is read into again only once its write has completed. Stops when the response closes
 * early (the promise then rejects). `progress.sent` counts the bytes the socket accepted.
 * Closes the file in every case.
 */
export async function sendFileRange(handle: FileHandle, start: number, end: number, res: ServerResponse, progress: { sent: number }): Promise<void> {
  const buffers = [take(), take()];
  let writing: Promise<void> = Promise.resolve();
  let failed = false;
  try {
    let position = start;
    for (let turn = 0; position <= end; turn++) {
      if (res.destroyed) throw new Error('the response closed');
      const buffer = buffers[turn & 1];
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position + 1), position);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${position}, before byte ${end}`);
      await writing;
      position += bytesRead;
      writing = new Promise<void>((resolve, reject) => {
        // Node drops the callback of a write to a socket the client has already reset: the
        // response's close ends the wait then, or the file would stay open until collected.
        const closed = () => reject(new Error('the response closed'));
        res.once('close', closed);
        res.write(buffer.subarray(0, bytesRead), (error) => {
          res.off('close', closed);
          if (error) return reject(error);
          progress.sent += bytesRead;
          resolve();
        });
      });
      // Handled here too, so that a failure while the next read runs is not an unhandled rejection.
      writing.catch(() => (failed = true));
    }
    await writing;
  } finally {
    await writing.catch(() => undefined);
    // A buffer whose write failed may still be held by the socket being destroyed: not reused.
    if (!failed) for (const buffer of buffers) if (idle.length < MAX_IDLE) idle.push(buffer);
    await handle.close();
  }
}
