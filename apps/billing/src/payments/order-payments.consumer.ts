import { OrderingEvents, type InvoiceItemView, type OrderPlacedV1, type OrderRefundRequestedV1, type PlacedOrderLineV1 } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { EventHandler } from '@trove/messaging';
import { PaymentsService } from './payments.service';

/**
 * The purchase saga's billing steps. Both events of an order go through one consumer, so a
 * refund request is never applied before its order's charge.
 */
@Injectable()
export class OrderPayments {
  private readonly logger = new Logger('OrderPayments');

  constructor(private readonly payments: PaymentsService) {}

  @EventHandler(OrderingEvents.orderPlaced, { consumer: 'order-payments' })
  async placed(order: OrderPlacedV1): Promise<void> {
    await this.payments.charge({
      orderId: order.orderId,
      buyerOrganizationId: order.buyerOrganizationId,
      placedAt: order.placedAt,
      lines: order.lines.map((line) => ({
        lineId: line.lineId,
        offerId: line.offerId,
        datasetId: line.datasetId,
        vendorOrganizationId: line.vendorOrganizationId,
        price: { amount: line.price.amount, currency: line.price.currency },
        pricing: { model: line.pricing.model, ...(line.pricing.period ? { period: line.pricing.period } : {}) },
        ...(line.termMonths !== undefined ? { termMonths: line.termMonths } : {}),
        ...(line.termStartsAt ? { termStartsAt: line.termStartsAt } : {}),
        item: invoiceItem(line),
      })),
    });
  }

  @EventHandler(OrderingEvents.orderRefundRequested, { consumer: 'order-payments' })
  async refundRequested(request: OrderRefundRequestedV1): Promise<void> {
    // Ordering asks only for paid orders; an order billing never charged has nothing to give back.
    const refunded = await this.payments.refundIfPaid(request.orderId);
    if (!refunded) this.logger.warn(`refund requested for order ${request.orderId}, which billing never charged: nothing posted`);
  }
}

/**
 * What an invoice line says was sold, from the placed line: a metered line's price is its unit
 * price times its quantity exactly (ordering computes it so), any other line is one unit.
 */
export function invoiceItem(line: PlacedOrderLineV1): InvoiceItemView {
  const quantity = line.pricing.model === 'metered' && typeof line.pricing.quantity === 'number' && line.pricing.quantity > 0 ? line.pricing.quantity : 1;
  return {
    ...(line.datasetTitle ? { datasetTitle: line.datasetTitle } : {}),
    licenseTemplate: line.licenseTemplate,
    pricingModel: line.pricing.model,
    ...(line.pricing.period ? { period: line.pricing.period } : {}),
    ...(line.pricing.unit ? { unit: line.pricing.unit } : {}),
    quantity,
    unitPrice: { amount: Math.round(line.price.amount / quantity), currency: line.price.currency },
  };
}
