import { EventEmitter } from 'node:events';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllowanceRefused, sendFileRange, type SendAllowance } from './file-sender';

const MIB = 1024 * 1024;

/**
 * A response whose client goes away after `acceptedWrites` writes, as Node's http answers then:
 * the socket is destroyed, the next write's callback is never called, and the response emits
 * `close` a moment later.
 */
function responseCutAfter(acceptedWrites: number): ServerResponse {
  const res = new EventEmitter() as EventEmitter & { destroyed: boolean; write: (chunk: Buffer, callback: (error?: Error) => void) => boolean };
  let writes = 0;
  res.destroyed = false;
  res.write = (_chunk, callback) => {
    if (++writes <= acceptedWrites) {
      setImmediate(() => callback());
      return true;
    }
    setImmediate(() => {
      res.destroyed = true;
      res.emit('close');
    });
    return false;
  };
  return res as unknown as ServerResponse;
}

/** A response that takes every write at once and keeps what it was given. */
function keepingResponse(): ServerResponse & { kept: Buffer[] } {
  const res = new EventEmitter() as EventEmitter & { destroyed: boolean; kept: Buffer[]; write: (chunk: Buffer, callback: (error?: Error) => void) => boolean };
  res.destroyed = false;
  res.kept = [];
  res.write = (chunk, callback) => {
    res.kept.push(Buffer.from(chunk));
    setImmediate(() => callback());
    return true;
  };
  return res as unknown as ServerResponse & { kept: Buffer[] };
}

describe('sendFileRange', () => {
  let dir: string;
  const recording = Buffer.alloc(4 * MIB);
  for (let i = 0; i < recording.length; i++) recording[i] = (i * 31) & 0xff;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trove-file-sender-'));
    await writeFile(join(dir, 'part.bin'), Buffer.alloc(4 * MIB, 7));
    await writeFile(join(dir, '录音_000001.wav'), recording);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('closes the file and stops when the client goes away while a write is pending, counting that write as given', async () => {
    const handle = await open(join(dir, 'part.bin'), 'r');
    const closed = jest.spyOn(handle, 'close');
    const progress = { given: 0, sent: 0 };
    await expect(sendFileRange(handle, 0, 4 * MIB - 1, responseCutAfter(1), progress)).rejects.toThrow('the response closed');
    expect(closed).toHaveBeenCalledTimes(1);
    // The second write was cut off: the client may have read any part of it, so it counts whole.
    expect(progress).toEqual({ given: 2 * MIB, sent: MIB });
  });

  it('reads nothing past what its allowance allows, waits while it grows, and stops after the bytes allowed when it is refused', async () => {
    const handle = await open(join(dir, '录音_000001.wav'), 'r');
    const reads: { position: number; length: number; allowed: number }[] = [];
    const read = handle.read.bind(handle) as (buffer: Buffer, offset: number, length: number, position: number) => ReturnType<typeof handle.read>;
    const window = 300 * 1024;
    let growths = 0;
    let pending: (() => void) | undefined;
    const allowance: SendAllowance = {
      bytes: window,
      more() {
        // Granted twice, a moment later each time; refused the third time.
        if (growths++ === 2) return Promise.resolve(false);
        return new Promise((resolve) => {
          pending = () => {
            (this as { bytes: number }).bytes += window;
            resolve(true);
          };
          setTimeout(() => pending?.(), 20);
        });
      },
    };
    jest.spyOn(handle, 'read').mockImplementation(((buffer: Buffer, offset: number, length: number, position: number) => {
      reads.push({ position, length, allowed: allowance.bytes });
      return read(buffer, offset, length, position);
    }) as never);
    const res = keepingResponse();
    const progress = { given: 0, sent: 0 };
    const start = 512 * 1024;
    await expect(sendFileRange(handle, start, 4 * MIB - 1, res, progress, allowance)).rejects.toBeInstanceOf(AllowanceRefused);
    expect(progress).toEqual({ given: 3 * window, sent: 3 * window });
    expect(Buffer.concat(res.kept).equals(recording.subarray(start, start + 3 * window))).toBe(true);
    expect(reads.every((r) => r.position + r.length <= start + r.allowed)).toBe(true);
    expect(reads.map((r) => r.length)).toEqual([window, window, window]);
  });
});
