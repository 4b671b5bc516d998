import { EventEmitter } from 'node:events';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendFileRange } from './file-sender';

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

describe('sendFileRange', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trove-file-sender-'));
    await writeFile(join(dir, 'part.bin'), Buffer.alloc(4 * MIB, 7));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('closes the file and stops when the client goes away while a write is pending', async () => {
    const handle = await open(join(dir, 'part.bin'), 'r');
    const closed = jest.spyOn(handle, 'close');
    const progress = { sent: 0 };
    await expect(sendFileRange(handle, 0, 4 * MIB - 1, responseCutAfter(1), progress)).rejects.toThrow('the response closed');
    expect(closed).toHaveBeenCalledTimes(1);
    expect(progress.sent).toBe(MIB);
  });
});
