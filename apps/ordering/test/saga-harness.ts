import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { BillingSubjects, OrderingEvents, type OrderPaidV1 } from '@trove/contracts';
import { EventHandler, RpcClient, type EventContext } from '@trove/messaging';
import { RequestContext, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { DeliveryEventsForOrdering } from '../src/saga/delivery-events';
import { startService } from '../../../libs/messaging/test/messaging-harness';
import { commercialOffer, speechListing, VendorClient } from '../../../test/support/catalog';
import { NATS_URL } from '../../../test/support/nats';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { json, TroveSystem } from '../../../test/support/system';

/**
 * Delivery's one saga step, until delivery grants entitlements itself: on `order.paid` it
 * answers `entitlement.granted` with one id per line, through an outbox of its own. Integration
 * tests only; the e2e tests never use it.
 */
@Injectable()
export class GrantingDeliveryStandIn {
  @EventHandler(OrderingEvents.orderPaid, { consumer: 'stand-in-entitlements' })
  async paid(order: OrderPaidV1, { tx }: EventContext<OrderPaidV1>): Promise<void> {
    await tx.publish(DeliveryEventsForOrdering.entitlementGranted, { orderId: order.orderId, entitlementIds: order.lines.map(() => randomUUID()) });
  }
}

export interface Buyer {
  key: string;
  organizationId: string;
  keyId: string;
}

/**
 * The real gateway, catalog, ordering, billing and delivery (uploads only) as processes in a NATS namespace of their own,
 * and the delivery stand-in in this process. Wallets are funded through billing's own subjects
 * (as its gateway routes will), everything else goes through the public API.
 */
export class SagaHarness {
  system!: TroveSystem;
  standInDb!: TestDatabase;
  standIn!: TestingModule;

  static async start(env: NodeJS.ProcessEnv = {}): Promise<SagaHarness> {
    const harness = new SagaHarness();
    harness.system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn', ...env } });
    harness.standInDb = await createAppDatabase('delivery', 'standin');
    harness.standIn = await startService(
      { databaseUrl: harness.standInDb.url, namespace: harness.system.namespace, natsUrl: NATS_URL },
      { service: 'delivery', providers: [GrantingDeliveryStandIn] },
    );
    return harness;
  }

  async stop(): Promise<void> {
    await this.standIn?.close();
    await this.standInDb?.drop();
    await this.system?.stop();
  }

  /** An approved vendor with a published listing and `offer` on it. */
  async publishedOffer(vendorName: string, offer: Record<string, unknown> = commercialOffer(), title?: string): Promise<{ vendor: VendorClient; offerId: string; datasetId: string }> {
    const vendor = await VendorClient.signUp(this.system, vendorName);
    const { dataset } = await vendor.listing(speechListing(title ? { title } : {}));
    const created = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', offer);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    const approved = await this.system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' });
    if (approved.status !== 200) throw new Error(`approve dataset: ${approved.status} ${await approved.text()}`);
    return { vendor, offerId: created.id, datasetId: dataset.id };
  }

  async buyer(name: string): Promise<Buyer> {
    const response = await this.system.request('/v1/organizations', {
      method: 'POST',
      as: 'anonymous',
      body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'procurement@example.cn' }),
    });
    const body = await json(response);
    if (response.status !== 201) throw new Error(`buyer sign-up: ${response.status} ${JSON.stringify(body)}`);
    const me = await json(await this.system.request('/v1/me', { as: { key: body.apiKey } }));
    return { key: body.apiKey, organizationId: body.organization.id, keyId: me.keyId };
  }

  /** A bank transfer of `amount` fen announced by the buyer and confirmed by an operator. */
  async fund(buyer: Buyer, amount: number): Promise<void> {
    const rpc = this.standIn.get(RpcClient);
    const caller: Caller = { organizationId: buyer.organizationId, role: 'buyer', keyId: buyer.keyId };
    const operator: Caller = { organizationId: randomUUID(), role: 'admin', keyId: 'operator' };
    const topUp = await RequestContext.run({ correlationId: randomUUID(), caller }, () =>
      rpc.send(BillingSubjects.recordTopUp, { amount: { amount, currency: 'CNY' }, reference: `招商银行 CMB-${randomUUID().slice(0, 8)}` }, { idempotencyKey: randomUUID() }),
    );
    await RequestContext.run({ correlationId: randomUUID(), caller: operator }, () =>
      rpc.send(BillingSubjects.confirmTopUp, { topUpId: topUp.id }, { idempotencyKey: randomUUID() }),
    );
  }

  /** `POST /v1/orders` with a fresh Idempotency-Key, the one given, or none (`null`). */
  order(buyer: Buyer, body: unknown, key: string | null = randomUUID()): Promise<Response> {
    return this.system.request('/v1/orders', {
      method: 'POST',
      as: { key: buyer.key },
      body: JSON.stringify(body),
      headers: key === null ? {} : { 'idempotency-key': key },
    });
  }

  /** Polls the order as its buyer until it is in one of `statuses`. */
  async settled(buyer: Buyer, orderId: string, statuses: string[] = ['fulfilled', 'cancelled', 'refunded'], ms = 30_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const until = Date.now() + ms;
    for (;;) {
      const order = await json(await this.system.request(`/v1/orders/${orderId}`, { as: { key: buyer.key } }));
      if (statuses.includes(order.status)) return order;
      if (Date.now() > until) throw new Error(`order ${orderId} is still ${order.status} after ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  query<T = Record<string, unknown>>(app: 'ordering' | 'billing', text: string, values: unknown[] = []): Promise<T[]> {
    return withDatabase(this.system.databases.get(app)!.url, async (client) => (await client.query(text, values)).rows as T[]);
  }
}
