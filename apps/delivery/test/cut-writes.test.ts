import { DeliverySubjects, type EntitlementView } from '@trove/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { DeliveryHarness } from './delivery-harness';
import { ask, manifest, newBuyer, paidLine, pay, release, uploadVersion } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

/** A ranged GET over a Unix socket that reads `want` bytes of the body and hangs up. */
function readPartAndHangUp(socketPath: string, pathAndQuery: string, range: string, want: number): Promise<{ status: number; body: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let head = Buffer.alloc(0);
    let status = 0;
    let body = 0;
    const finish = () => {
      socket.destroy();
      resolve({ status, body: Math.min(body, want) });
    };
    socket.on('data', (chunk: Buffer) => {
      if (!status) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = Number(head.subarray(9, 12).toString());
        body = head.length - end - 4;
      } else body += chunk.length;
      if (status !== 206 || body >= want) finish();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status, body: Math.min(body, want) }));
    socket.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: delivery\r\nRange: ${range}\r\n\r\n`);
  });
}

/**
 * Delivery writes a download 1 MiB at a time. Over a link with small socket buffers (a WAN's,
 * here a Unix socket's, about 200 KiB) a client can read part of a write and hang up before the
 * socket has taken all of it. Those bytes count: else each such request counted nothing, and a
 * license with a download limit gave copy after copy, and a per-GiB one uncharged bytes.
 */
describe('a download cut off in the middle of a write', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  let unix: Server;
  const socketPath = join(tmpdir(), `trove-cut-writes-${randomUUID()}.sock`);
  const datasetId = randomUUID();
  const versionId = randomUUID();
  const recording = { path: 'audio/zh-CN/长录音_0001.wav', bytes: randomBytes(8 * 1024 * 1024) };

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    await uploadVersion(h, datasetId, versionId, [recording]);
    await release(h, datasetId, versionId, '1.0.0');
    unix = createServer((socket) => h.app.getHttpServer().emit('connection', socket));
    await new Promise<void>((listening) => unix.listen(socketPath, listening));
  });
  afterAll(async () => {
    unix?.close();
    await h?.stop();
    await storage?.stop();
  });

  it('counts at least what the client read, so a one-copy license stops it after about one copy', async () => {
    const buyer = newBuyer();
    const order = await pay(h, buyer, [paidLine(datasetId, [versionId], 'commercial', { termsChange: { downloadLimit: 1 } })]);
    const entitlement = await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId));
    const url = new URL((await manifest(h, entitlement.id, buyer)).versions[0].files[0].url);
    const size = recording.bytes.length;
    const reads: number[] = [];
    let refusedWith = 0;
    // Resumes from byte 1 on (never a new download), 700 KiB a request, for up to three copies.
    for (let position = 1, received = 0; received < 3 * size && reads.length < 60; ) {
      const answer = await readPartAndHangUp(socketPath, url.pathname + url.search, `bytes=${position}-`, Math.min(700 * 1024, size - position));
      if (answer.status !== 206) {
        refusedWith = answer.status;
        break;
      }
      reads.push(answer.body);
      received += answer.body;
      position = position + answer.body >= size ? 1 : position + answer.body;
    }
    const counted = await waitFor('every request recorded', () =>
      withDatabase(h.db.url, async (c) => {
        const rows = (await c.query(`SELECT bytes_sent::bigint AS sent FROM download WHERE entitlement_id = $1`, [entitlement.id])).rows;
        return rows.length === reads.length ? rows.map((r: { sent: string }) => Number(r.sent)) : undefined;
      }),
    );
    const received = reads.reduce((a, b) => a + b, 0);
    expect(refusedWith).toBe(403);
    expect(counted.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(received);
    // One copy, the margin for resumes, and the last write it may have been given.
    expect(received).toBeLessThan(size * 1.1 + 2 * 1024 * 1024);
  });
});
