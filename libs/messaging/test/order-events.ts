import { eventSubject } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { IsIn, IsInt, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { encodeJson, EventHandler, Namespace, type EventAggregate, type EventContext, type EventEnvelope } from '@trove/messaging';

/** An order's life as the delivery service sees it, for the ordering and dead-letter tests. */
export class OrderPlacedV1 {
  @IsUUID()
  orderId: string;

  @IsString()
  @MaxLength(200)
  datasetTitle: string;
}

export class OrderPaidV1 {
  @IsUUID()
  orderId: string;

  /** Minor units (fen). */
  @IsInt()
  @Min(0)
  amount: number;

  @IsIn(['CNY'])
  currency: 'CNY';
}

export class OrderRefundedV1 {
  @IsUUID()
  orderId: string;

  @IsString()
  reason: string;
}

export const OrderPlaced = eventSubject('evt.ordering.order.placed.v1', OrderPlacedV1, { aggregate: (p) => p.orderId });
export const OrderPaid = eventSubject('evt.ordering.order.paid.v1', OrderPaidV1, { aggregate: (p) => p.orderId });
export const OrderRefunded = eventSubject('evt.ordering.order.refunded.v1', OrderRefundedV1, { aggregate: (p) => p.orderId });

export const DATASETS = ['普通话朗读语音 200 小时', '粤语客服对话录音 80 小时', '自动驾驶路测视频 3D 框标注', '中文法律文书 SFT 5 万条', '中英偏好对 RLHF 3 万对'];

export function paid(orderId: string, amount = 1_280_000): OrderPaidV1 {
  return { orderId, amount, currency: 'CNY' };
}

export function refunded(orderId: string): OrderRefundedV1 {
  return { orderId, reason: '买方发现数据集与样本不符 / dataset does not match its samples' };
}

/** The table the handlers below write to: one row per event applied, numbered in the order applied. */
export const ENTITLEMENT_LOG = `CREATE TABLE entitlement_log (
  applied bigserial PRIMARY KEY, order_id uuid NOT NULL, event_id uuid NOT NULL, subject text NOT NULL, seq integer NULL)`;

/**
 * What the test's handlers do, switchable per test: fail a given number of times per order, or
 * always until told otherwise.
 */
export const behaviour = {
  failuresLeft: new Map<string, number>(),
  failAlways: new Set<string>(),
  failures: new Map<string, number>(),
  reset(): void {
    this.failuresLeft.clear();
    this.failAlways.clear();
    this.failures.clear();
  },
};

async function record(subject: string, orderId: string, { tx, event }: EventContext<unknown>): Promise<void> {
  const left = behaviour.failuresLeft.get(orderId) ?? 0;
  if (behaviour.failAlways.has(orderId) || (subject.includes('.paid.') && left > 0)) {
    behaviour.failuresLeft.set(orderId, left - 1);
    behaviour.failures.set(orderId, (behaviour.failures.get(orderId) ?? 0) + 1);
    throw new Error(`开通下载权限失败: 对象存储 cn-north-1 暂不可用 (order ${orderId})`);
  }
  await tx.manager.query(`INSERT INTO entitlement_log (order_id, event_id, subject, seq) VALUES ($1, $2, $3, $4)`, [
    orderId,
    event.id,
    subject,
    event.aggregate?.seq ?? null,
  ]);
}

/** Grants access when an order is paid and takes it back when it is refunded: one consumer, in order. */
@Injectable()
export class OrderEntitlements {
  @EventHandler(OrderPaid, { consumer: 'order-entitlements' })
  async grant(payload: OrderPaidV1, context: EventContext<OrderPaidV1>): Promise<void> {
    await record(OrderPaid.subject, payload.orderId, context);
  }

  @EventHandler(OrderRefunded, { consumer: 'order-entitlements' })
  async revoke(payload: OrderRefundedV1, context: EventContext<OrderRefundedV1>): Promise<void> {
    await record(OrderRefunded.subject, payload.orderId, context);
  }
}

/** An envelope as the relay would publish it, for tests that write to JetStream directly. */
export function envelope<P>(subject: string, payload: P, aggregate?: Omit<EventAggregate, 'type'>): EventEnvelope<P> {
  return {
    id: randomUUID(),
    subject,
    occurredAt: new Date().toISOString(),
    producer: 'ordering',
    payload,
    ...(aggregate ? { aggregate: { type: 'ordering.order', ...aggregate } } : {}),
  };
}

/** Publishes straight to the stream, bypassing the outbox: the test chooses the order. */
export async function publishRaw(nc: NatsConnection, namespace: string, subject: string, data: Uint8Array | EventEnvelope): Promise<void> {
  const h = natsHeaders();
  h.set('x-correlation-id', `order-test-${randomUUID()}`);
  const body = data instanceof Uint8Array ? data : encodeJson(data);
  await nc.jetstream().publish(new Namespace(namespace).subject(subject), body, { headers: h });
}
