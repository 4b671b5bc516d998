import type { InvoiceItemView, InvoiceLineView } from '@trove/contracts';
import { splitCommission, splitTaxIncluded, sumMoney, type BasisPoints, type CurrencyCode, type MoneyValue } from '@trove/licensing';

/** One priced line of a purchase (an order line, or a subscription's period). */
export interface ChargeLine {
  lineId: string;
  offerId: string;
  datasetId: string;
  vendorOrganizationId: string;
  price: MoneyValue;
  /** What the invoice line says was sold (license, pricing, quantity and unit price). */
  item?: InvoiceItemView;
}

export interface ChargeSplit {
  currency: CurrencyCode;
  gross: number;
  /** What each vendor is owed: price minus commission, per vendor. */
  vendors: Map<string, number>;
  /** The VAT in the prices. */
  tax: number;
  /** The commission less the VAT: what the platform keeps. */
  revenue: number;
  invoiceLines: InvoiceLineView[];
  net: number;
}

/**
 * How a purchase's money is split, in integers: prices include VAT, which the platform owes as
 * the seller on the invoice; the vendor gets the price minus the commission; the platform keeps
 * the commission minus the VAT. Every line is rounded on its own (四舍五入), and the parts add up
 * to the gross exactly, per line and in total.
 */
export function splitCharge(lines: readonly ChargeLine[], commissionBp: BasisPoints, vatBp: BasisPoints): ChargeSplit {
  if (lines.length === 0) throw new Error('a charge needs at least one line');
  const currency = lines[0].price.currency;
  const vendors = new Map<string, number>();
  const invoiceLines: InvoiceLineView[] = [];
  let commission = 0;
  let tax = 0;
  for (const line of lines) {
    const taxSplit = splitTaxIncluded(line.price, vatBp);
    const share = splitCommission(line.price, commissionBp);
    vendors.set(line.vendorOrganizationId, (vendors.get(line.vendorOrganizationId) ?? 0) + share.vendor.amount);
    commission += share.commission.amount;
    tax += taxSplit.tax.amount;
    invoiceLines.push({
      lineId: line.lineId,
      offerId: line.offerId,
      datasetId: line.datasetId,
      vendorOrganizationId: line.vendorOrganizationId,
      ...(line.item ? { item: line.item } : {}),
      net: taxSplit.net,
      tax: taxSplit.tax,
      gross: taxSplit.gross,
    });
  }
  const gross = sumMoney(
    lines.map((l) => l.price),
    currency,
  ).amount;
  return { currency, gross, vendors, tax, revenue: commission - tax, invoiceLines, net: gross - tax };
}
