import { DeliverySubjects, type EntitlementView } from '@trove/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, ServerResponse } from 'node:http';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { DeliveryHarness } from './delivery-harness';
import { ask, manifest, newBuyer, paidLine, pay, release, uploadVersion } from './downloads-support';
import { STORAGE_DRIVERS, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

/** A GET that reads the whole body and hangs up at once, as a client done with the file does. */
function readAllAndHangUp(url: string): Promise<{ status: number; bytes: number; length: number }> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path: pathname + search, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, bytes, length: Number(res.headers['content-length']) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(STORAGE_DRIVERS)('the audit of a download whose client hangs up once it has every byte, with %s', (_name, startStorage) => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const versionId = randomUUID();
  const file = { path: 'corpus/web-zh/part-0001.jsonl', bytes: randomBytes(3 * 1024 * 1024 + 5) };

  beforeAll(async () => {
    storage = await startStorage();
    h = await DeliveryHarness.start(storage);
    await uploadVersion(h, datasetId, versionId, [file]);
    await release(h, datasetId, versionId, '1.0.0');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await h?.stop();
    await storage?.stop();
  });

  it('records it complete, though its response never reached its own finish', async () => {
    const buyer = newBuyer();
    const order = await pay(h, buyer, [paidLine(datasetId, [versionId], 'commercial')]);
    const entitlement: EntitlementView = await waitFor('the entitlement', async () =>
      (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId),
    );
    const url = (await manifest(h, entitlement.id, buyer)).versions[0].files[0].url;
    // A busy event loop: the end of a download's response comes after its last byte was written,
    // late enough that the client, which has every byte, has hung up by then.
    const end = ServerResponse.prototype.end;
    const spy = jest.spyOn(ServerResponse.prototype, 'end').mockImplementation(function (this: ServerResponse, ...args: unknown[]) {
      if (!this.req?.url?.startsWith('/files/entitlements/')) return end.apply(this, args as never);
      setTimeout(() => end.apply(this, args as never), 200);
      return this;
    });
    try {
      const answer = await readAllAndHangUp(url);
      expect(answer).toEqual({ status: 200, bytes: file.bytes.length, length: file.bytes.length });
      const row = await waitFor('the download recorded', () =>
        withDatabase(h.db.url, async (c) => (await c.query(`SELECT bytes_sent::int AS sent, complete FROM download WHERE entitlement_id = $1`, [entitlement.id])).rows[0]),
      );
      expect(row).toEqual({ sent: file.bytes.length, complete: true });
    } finally {
      spy.mockRestore();
    }
  });
});
