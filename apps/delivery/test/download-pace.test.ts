import { DeliverySubjects, type EntitlementView } from '@trove/contracts';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { DeliveryHarness } from './delivery-harness';
import { ask, fetchRaw, manifest, newBuyer, paidLine, pay, release, uploadVersion } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(60_000);

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A GET whose body the client stops reading at once; `hangUp` ends it from the client's side. */
function neverRead(url: string): { hangUp: () => void } {
  const { hostname, port, pathname, search } = new URL(url);
  const req = httpRequest({ host: hostname, port, method: 'GET', path: pathname + search, agent: false }, (res) => {
    res.pause();
    // Cut off by delivery, or hung up here: either ends the answer early ('aborted').
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { hangUp: () => req.destroy() };
}

/**
 * Each answer holds its buffers and its file for as long as its client reads: a client that
 * reads a few bytes a minute on many connections held delivery's memory and file descriptors,
 * with no idle timeout ever firing. Answers read too slowly are cut off after a grace period.
 */
describe('downloads read slower than the minimum pace', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const versionId = randomUUID();
  const shard = { path: 'audio/zh-CN/shard-0001.tar', bytes: randomBytes(48 * MiB) };
  const buyer = newBuyer();
  let url: string;

  beforeAll(async () => {
    storage = await fsTestStorage();
    // 1 MiB/s after a second: a client that reads nothing stops at what the kernel buffers hold
    // (4 MiB here), so it falls below within seconds; a client that reads, even on a machine
    // busy with other tests, stays far above.
    h = await DeliveryHarness.start(storage, { DOWNLOAD_MIN_BYTES_PER_SECOND: String(MiB), DOWNLOAD_PACE_GRACE_MS: '1000' });
    await uploadVersion(h, datasetId, versionId, [shard]);
    await release(h, datasetId, versionId, '1.0.0');
    const order = await pay(h, buyer, [paidLine(datasetId, [versionId], 'commercial')]);
    const entitlement = await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((item: EntitlementView) => item.orderId === order.orderId));
    const m = await manifest(h, entitlement.id, buyer);
    url = m.versions[0].files[0].url;
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('cuts off a download its client stops reading, records it as incomplete, and serves one read at a normal pace in full', async () => {
    // The client reads nothing: the socket takes what the kernel buffers hold (a few MiB), then no more.
    const stalled = neverRead(url);
    try {
      // Delivery ends the answer itself (and so records it) while the client still holds its
      // connection open: its file and buffers go. The client, reading nothing, may not notice.
      const recorded = await waitFor(
        'the stalled download cut off and recorded',
        () => withDatabase(h.db.url, async (c) => (await c.query(`SELECT bytes_sent, complete FROM download WHERE path = $1`, [shard.path])).rows[0] as { bytes_sent: string; complete: boolean } | undefined),
        45_000,
      );
      expect(recorded.complete).toBe(false);
      expect(Number(recorded.bytes_sent)).toBeLessThan(shard.bytes.length);
    } finally {
      stalled.hangUp();
    }

    const whole = await fetchRaw(url);
    expect(whole.status).toBe(200);
    expect(sha256(whole.body)).toBe(sha256(shard.bytes));
  });
});
