import { OrderingEvents, type ExclusiveEndReason } from '@trove/contracts';
import type { Transaction } from '@trove/messaging';
import type { OrderLine } from './order.entity';

/**
 * An order with an exclusive line that stops holding its sale (cancelled, refunded, or its
 * subscription lapsed) says so in the transaction that ended it; the catalog releases the sale
 * when it takes the event (idempotently: a second one changes nothing). An order without an
 * exclusive line writes nothing.
 */
export async function endExclusive(tx: Transaction, orderId: string, lines: Pick<OrderLine, 'exclusive'>[], reason: ExclusiveEndReason): Promise<void> {
  if (!lines.some((line) => line.exclusive)) return;
  await tx.publish(OrderingEvents.orderExclusiveEnded, { orderId, reason });
}
