import 'reflect-metadata';
import { DeliveryEvents, type DownloadRecordedV1 } from '@trove/contracts';
import { encodeJson, Namespace, type EventEnvelope } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { connectNats } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { BillingHarness, buyer, line, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const GIB = 1024 ** 3;

/** A `download.recorded` event as delivery's relay publishes it: the entitlement's n-th event. */
async function publishDownload(nc: NatsConnection, namespace: string, envelope: EventEnvelope, msgId = envelope.id): Promise<void> {
  const h = natsHeaders();
  h.set('Nats-Msg-Id', msgId);
  await nc.jetstream().publish(new Namespace(namespace).subject(envelope.subject), encodeJson(envelope), { headers: h });
}

function downloadEnvelope(download: DownloadRecordedV1, seq: number): EventEnvelope {
  const subject = DeliveryEvents.downloadRecorded.subject;
  return {
    id: randomUUID(),
    subject,
    occurredAt: download.finishedAt,
    producer: 'delivery',
    payload: download,
    aggregate: { type: 'delivery.download', id: download.entitlementId, seq, previous: seq > 1 ? { [subject]: seq - 1 } : {} },
  };
}

describe('billing: metered offers', () => {
  let billing: BillingHarness;
  let nc: NatsConnection;

  beforeAll(async () => {
    billing = await BillingHarness.start();
    nc = await connectNats();
  });

  afterAll(async () => {
    await nc?.close();
    await billing?.stop();
  });

  afterEach(async () => {
    expect(await billing.violations()).toEqual([]);
  });

  it('charges a metered line of a few fen, whose VAT and platform share round to nothing, without a posting of zero', async () => {
    const 旷视 = buyer();
    const 标注工厂 = vendor();
    await billing.fund(旷视, 100);
    // 3 fen an image, one image: 20 % commission is 1 fen, the VAT in 3 fen rounds to 0.
    const purchase = order(旷视.organizationId, [line(标注工厂.organizationId, 3, 'CNY', { model: 'metered' })]);

    expect(await billing.payments.charge(purchase)).toMatchObject({ outcome: 'captured' });

    expect(await billing.walletBalance(旷视.organizationId)).toBe(97);
    expect(await billing.payable(标注工厂.organizationId)).toBe(2);
    const postings = await billing.sql.query<{ amount: string }>(`SELECT p.amount FROM posting p JOIN journal_entry e ON e.id = p.entry_id WHERE e.order_id = $1`, [purchase.orderId]);
    expect(postings.rows.map((r) => Number(r.amount)).sort((a, b) => a - b)).toEqual([-2, -1, 3]);
    const invoice = (await billing.invoices.list(旷视, {})).items[0];
    expect(invoice).toMatchObject({ orderId: purchase.orderId, net: { amount: 3 }, tax: { amount: 0 }, gross: { amount: 3 } });
  });

  it('meters the bytes of each download of an entitlement sold per GiB once, however often its event arrives', async () => {
    const entitlementId = randomUUID();
    const orderId = randomUUID();
    const organizationId = randomUUID();
    const download = (bytes: number, at: string): DownloadRecordedV1 => ({
      downloadId: randomUUID(),
      entitlementId,
      orderId,
      organizationId,
      pricingModel: 'metered',
      datasetId: randomUUID(),
      versionId: randomUUID(),
      path: 'shards/part-00001.parquet',
      bytes,
      startedAt: at,
      finishedAt: at,
    });
    const first = downloadEnvelope(download(GIB - 1, '2026-03-15T02:00:00.000Z'), 1);
    const second = downloadEnvelope(download(512 * 1024 * 1024, '2026-03-15T03:00:00.000Z'), 2);
    const meter = async () => (await billing.sql.query(`SELECT bytes::text, downloads, first_download_at, last_download_at FROM usage_meter WHERE entitlement_id = $1`, [entitlementId])).rows[0];
    await publishDownload(nc, billing.namespace, first);
    await waitFor('the first download to be metered', async () => (await meter())?.downloads === 1);
    // The same event again past JetStream's de-duplication (another message id), as after a
    // relay that published and died before marking it; then the next download.
    await publishDownload(nc, billing.namespace, first, randomUUID());
    await publishDownload(nc, billing.namespace, second);
    const inbox = async () => (await billing.sql.query(`SELECT event_id FROM inbox WHERE event_id = ANY($1)`, [[first.id, second.id]])).rows.length;
    await waitFor('the second download to be metered', async () => (await inbox()) === 2);
    expect(await meter()).toMatchObject({ bytes: String(GIB - 1 + 512 * 1024 * 1024), downloads: 2 });
    expect((await meter()).first_download_at.toISOString()).toBe('2026-03-15T02:00:00.000Z');
    expect((await meter()).last_download_at.toISOString()).toBe('2026-03-15T03:00:00.000Z');
  });
});
