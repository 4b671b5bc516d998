import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { STREAM_BUFFER_BYTES } from '../storage/object-storage';

/** Idle 1 MiB buffers, reused by every download: no allocation, and no garbage, per MiB served. */
const idle: Buffer[] = [];
/** At most this many idle buffers are kept (32 MiB); more are left to the garbage collector. */
const MAX_IDLE = 32;

function take(): Buffer {
  return idle.pop() ?? Buffer.allocUnsafeSlow(STREAM_BUFFER_BYTES);
}

/**
 * How far a download may go when it may not send its whole range at once (its hold under a
 * download limit or a per-GiB allowance grows as the bytes go out): `bytes` of the range, from
 * its first, may be sent now; `more()` asks for more and resolves once it is decided, to false
 * when it is refused (the answer then ends after the `bytes` it had).
 */
export interface SendAllowance {
  readonly bytes: number;
  more(): Promise<boolean>;
}

/**
 * How far a transfer got. `given`: the bytes handed to the socket, counted as each write is
 * issued, so a connection cut in the middle of a write counts the whole of it: what the audit
 * records and limits count, which must never be less than what the client may have received (a
 * client that reads part of each 1 MiB write and hangs up must not take the file uncounted).
 * `sent`: the bytes the socket accepted (a write's callback), for the pace a reader keeps.
 */
export interface SendProgress {
  given: number;
  sent: number;
}

/** Thrown when a download may send no more of its range: the answer is cut there. */
export class AllowanceRefused extends Error {
  constructor(readonly at: number) {
    super(`no more bytes may be sent after ${at}`);
  }
}

/**
 * The number of bytes from `sentOrQueued` (bytes of the range given to the socket) that may be
 * given to it now: waits for `allowance` to grow when it has all been given; throws
 * AllowanceRefused when it will not.
 */
async function room(allowance: SendAllowance, sentOrQueued: number, wanted: number): Promise<number> {
  while (allowance.bytes <= sentOrQueued) {
    if (!(await allowance.more())) throw new AllowanceRefused(sentOrQueued);
  }
  return Math.min(wanted, allowance.bytes - sentOrQueued);
}

/**
 * Writes bytes start..end (inclusive) of an open file to the response, in 1 MiB reads into two
 * buffers that take turns: the next read runs while the kernel takes the last write, and a
 * buffer is read into again only once its write has completed. Stops when the response closes
 * early (the promise then rejects), counting its bytes in `progress`.
 * With an `allowance`, no read goes past what it allows: the next one waits until it has grown
 * (nothing is read or buffered ahead meanwhile), and when it is refused the promise rejects with
 * AllowanceRefused once the bytes allowed are written. Closes the file in every case.
 */
export async function sendFileRange(handle: FileHandle, start: number, end: number, res: ServerResponse, progress: SendProgress, allowance?: SendAllowance): Promise<void> {
  const buffers = [take(), take()];
  let writing: Promise<void> = Promise.resolve();
  let failed = false;
  try {
    let position = start;
    for (let turn = 0; position <= end; turn++) {
      if (res.destroyed) throw new Error('the response closed');
      const buffer = buffers[turn & 1];
      let length = Math.min(buffer.length, end - position + 1);
      if (allowance) {
        length = await room(allowance, position - start, length);
        if (res.destroyed) throw new Error('the response closed');
      }
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${position}, before byte ${end}`);
      await writing;
      position += bytesRead;
      // Gone while the file was read or the previous write drained: this one is never given.
      if (res.destroyed) throw new Error('the response closed');
      progress.given += bytesRead;
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

/**
 * Writes a storage stream (the range asked of it) to the response within `allowance`, as
 * sendFileRange does: a chunk past what it allows waits until it grows, and the stream is not
 * read meanwhile (the response's backpressure and the wait pause it), counting its bytes in
 * `progress`. Rejects with AllowanceRefused once the bytes allowed are written, or when the
 * response or the stream fails; destroys the stream in every case.
 */
export async function sendStream(body: Readable, res: ServerResponse, progress: SendProgress, allowance: SendAllowance): Promise<void> {
  // The bytes of the range given so far: what the allowance has been drawn on.
  const givenBefore = progress.given;
  let writing: Promise<void> = Promise.resolve();
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        if (res.destroyed) throw new Error('the response closed');
        const length = await room(allowance, progress.given - givenBefore, chunk.length - offset);
        const piece = chunk.subarray(offset, offset + length);
        offset += length;
        await writing;
        if (res.destroyed) throw new Error('the response closed');
        progress.given += piece.length;
        writing = new Promise<void>((resolve, reject) => {
          const closed = () => reject(new Error('the response closed'));
          res.once('close', closed);
          res.write(piece, (error) => {
            res.off('close', closed);
            if (error) return reject(error);
            progress.sent += piece.length;
            resolve();
          });
        });
        writing.catch(() => undefined);
      }
    }
    await writing;
  } finally {
    await writing.catch(() => undefined);
    body.destroy();
  }
}
