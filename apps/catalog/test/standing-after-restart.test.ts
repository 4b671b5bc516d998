import 'reflect-metadata';
import { CommonErrorCode, type OrganizationStatus } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { UnitOfWork } from '@trove/messaging';
import { Readiness, ServiceException, type Caller } from '@trove/platform';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { AppModule } from '../src/app.module';
import { DatasetsService } from '../src/datasets/datasets.service';
import { OffersService } from '../src/offers/offers.service';
import { VersionsService } from '../src/versions/versions.service';
import { withEnv } from '../../../test/support/env';
import { connectNats, deleteStream, NATS_URL, newNamespace, publishOrganizationStatus } from '../../../test/support/nats';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';

jest.setTimeout(120_000);

const org = (role: Caller['role']): Caller => ({ organizationId: randomUUID(), role, keyId: randomUUID() });

/**
 * An operator suspends a vendor while the catalog is down: the gateway's event waits in the
 * stream. The catalog that starts again must not sell that vendor's offers on the standing it had
 * before: until it has applied what waited for it, ordering's `catalog.offer.get` is refused
 * (503) and its readiness is down. Here the suspension is held unapplied deterministically: it
 * arrives ahead of the organization's earlier change and waits for it, as a backlog's events
 * wait their turn.
 */
describe('the catalog after a restart: no sale on the standing from before it was down', () => {
  const namespace = newNamespace();
  let db: TestDatabase;
  let nc: NatsConnection;
  let catalog: TestingModule | undefined;

  const start = () =>
    withEnv({ DATABASE_URL: db.url, TROVE_NAMESPACE: namespace, NATS_URL, LOG_LEVEL: 'silent' }, async () => {
      const built = await Test.createTestingModule({ imports: [AppModule] })
        .setLogger({ log() {}, warn() {}, error() {} })
        .compile();
      return built.init();
    });

  beforeAll(async () => {
    db = await createAppDatabase('catalog', 'standing_restart');
    nc = await connectNats();
  });

  afterAll(async () => {
    await catalog?.close();
    await nc?.close();
    await deleteStream(namespace);
    await db?.drop();
  });

  const statusChanged = (organizationId: string, status: OrganizationStatus, changedAt: string, seq: number) =>
    publishOrganizationStatus(nc, namespace, { organizationId, status, changedAt, seq });
  const applied = async (id: string) => withDatabase(db.url, async (c) => (await c.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [id])).rows.length > 0);
  const orderable = (buyer: Caller, offerId: string) =>
    catalog!
      .get(UnitOfWork)
      .read(() => catalog!.get(OffersService).snapshot(buyer, offerId))
      .then(
        (snapshot) => (snapshot.available ? 'available' : 'not available'),
        (error: unknown) => (error instanceof ServiceException ? error.code : String(error)),
      );
  const ready = async () => (await catalog!.get(Readiness).check('standing')).status;

  /** A published listing of `vendor` with one offer at 88,000 CNY; answers the offer. */
  async function publishedOffer(vendor: Caller, title: string): Promise<{ id: string }> {
    const datasets = catalog!.get(DatasetsService);
    const versions = catalog!.get(VersionsService);
    const id = (await datasets.create(vendor, { ...exampleMetadata('speech'), title, description: `${title}：真实家居环境采集，人工转写，逐条质检。` } as never)).id;
    const version = await versions.create(vendor, id, '1.0.0', '首个版本 / First release');
    await versions.addFile(undefined, { datasetId: id, versionId: version.id, path: 'audio/part-0001.tar', size: 4096, sha256: 'a'.repeat(64), storageKey: `datasets/${id}/part-0001.tar` });
    await versions.release(vendor, id, version.id);
    const offer = await catalog!.get(OffersService).create(vendor, { datasetId: id, license: { template: 'commercial' }, pricing: { model: 'one_time', price: { amount: 8_800_000, currency: 'CNY' } } } as never);
    await datasets.submit(vendor, id, 'active');
    await datasets.approve(id);
    return offer;
  }

  it('refuses the offers (503) and is not ready until the suspension that waited is applied; then the offer is not for sale', async () => {
    const 海天瑞声 = org('vendor');
    const 百度 = org('buyer');
    catalog = await start();
    const signup = await statusChanged(海天瑞声.organizationId, 'active', '2026-11-02T02:00:00.000Z', 1);
    await waitFor('the approval applied', () => applied(signup), 15_000);
    await waitFor('the catalog ready', async () => (await ready()) === 'ok', 15_000);

    const offer = await publishedOffer(海天瑞声, '普通话智能家居指令语音 300 小时');
    expect(await orderable(百度, offer.id)).toBe('available');

    // The catalog goes down; an operator suspends the vendor meanwhile (the gateway's third
    // change of it reaches the stream before its second).
    await catalog.close();
    catalog = undefined;
    const suspension = await statusChanged(海天瑞声.organizationId, 'suspended', '2026-12-06T09:00:00.000Z', 3);

    catalog = await start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await applied(suspension)).toBe(false);
    expect(await ready()).toBe('down');
    expect(await orderable(百度, offer.id)).toBe(CommonErrorCode.SERVICE_UNAVAILABLE);

    const before = await statusChanged(海天瑞声.organizationId, 'active', '2026-11-20T02:00:00.000Z', 2);
    await waitFor('both changes applied', async () => (await applied(before)) && (await applied(suspension)), 15_000);
    await waitFor('the catalog ready', async () => (await ready()) === 'ok', 15_000);
    expect(await orderable(百度, offer.id)).toBe('not available');
  });

  it('does not sell the offers of a vendor whose status change ended as a dead letter (it may be the suspension); other vendors sell on', async () => {
    catalog ??= await start();
    const 数据堂 = org('vendor');
    const 爱数智慧 = org('vendor');
    const 百度 = org('buyer');
    const first = await statusChanged(数据堂.organizationId, 'active', '2026-11-02T02:00:00.000Z', 1);
    await waitFor('the approval applied', () => applied(first), 15_000);
    const held = await publishedOffer(数据堂, '粤语客服通话录音 80 小时');
    const other = await publishedOffer(爱数智慧, '上海话日常对话语音 50 小时');
    expect(await orderable(百度, held.id)).toBe('available');

    // A malformed change (a dead letter), then the suspension held up by it (a dead letter too).
    await statusChanged(数据堂.organizationId, 'frozen' as OrganizationStatus, '2026-12-05T09:00:00.000Z', 2);
    const suspension = await statusChanged(数据堂.organizationId, 'suspended', '2026-12-06T09:00:00.000Z', 3);
    const deadLetters = () => withDatabase(db.url, async (c) => (await c.query(`SELECT reason FROM dead_letter WHERE aggregate_id = $1 ORDER BY aggregate_seq`, [数据堂.organizationId])).rows);
    await waitFor('both changes to be dead letters', async () => (await deadLetters()).length === 2, 30_000);
    expect(await applied(suspension)).toBe(false);

    expect(await orderable(百度, held.id)).toBe('not available');
    expect(await orderable(百度, other.id)).toBe('available');
  });
});
