import 'reflect-metadata';
import { CatalogEvents, type DatasetPublished } from '@trove/contracts';
import { encodeJson, Namespace, type EventEnvelope } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from 'nats';
import { waitFor } from '../../../test/support/processes';
import { billingAndNats } from './billing-harness';

jest.setTimeout(120_000);

/**
 * A release adds a handler to a consumer an earlier release created (billing's `catalog-datasets`
 * took only `dataset.suspended` once): the durable consumer JetStream keeps must take the new
 * subject too when the new release starts, or the new handler never runs.
 */
describe('billing started on a durable consumer an earlier release created with fewer subjects', () => {
  const running = billingAndNats();

  it('widens its filter to every subject its handlers take, and the added handler runs', async () => {
    const stream = new Namespace(running.billing.namespace);
    const durable = 'billing_catalog-datasets';
    const jsm = await running.nc.jetstreamManager();
    await running.billing.restart(async () => {
      await jsm.consumers.update(stream.stream, durable, { filter_subject: stream.subject(CatalogEvents.datasetSuspended.subject) });
    });
    expect((await jsm.consumers.info(stream.stream, durable)).config.filter_subject).toBe(stream.subject('evt.catalog.dataset.>'));

    const event: EventEnvelope<DatasetPublished> = {
      id: randomUUID(),
      subject: CatalogEvents.datasetPublished.subject,
      occurredAt: '2026-12-06T09:00:00.000Z',
      producer: 'catalog',
      payload: { datasetId: randomUUID(), vendorOrganizationId: randomUUID(), title: '四川话日常对话语音 120 小时 / Sichuanese conversations, 120 h', publishedAt: '2026-12-06T09:00:00.000Z' },
    };
    const h = natsHeaders();
    h.set('Nats-Msg-Id', event.id);
    await running.nc.jetstream().publish(stream.subject(event.subject), encodeJson(event), { headers: h });
    await waitFor('billing to take in dataset.published', async () => (await running.billing.sql.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [event.id])).rows.length > 0, 10_000);
    expect((await running.billing.sql.query(`SELECT status FROM dataset_standing WHERE dataset_id = $1`, [event.payload.datasetId])).rows).toEqual([{ status: 'published' }]);
  });
});
