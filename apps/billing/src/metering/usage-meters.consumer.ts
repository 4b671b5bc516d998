import { DeliveryEvents, type DownloadRecordedV1 } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { EventHandler } from '@trove/messaging';
import { UsageMeterRepository } from './usage-meter.repository';

/**
 * Meters the downloads of metered offers sold per GiB. Delivery publishes
 * `download.recorded` once a download has ended, with the bytes it actually sent; the event
 * consumer applies each event once (its inbox row commits with the meter's change), so a
 * redelivered event never counts its bytes twice.
 *
 * The buyer prepaid the GiB with the order: the meter is the record of what was used, not a
 * charge. Delivery refuses a download that would pass the GiB bought (see docs/ledger.md).
 */
@Injectable()
export class UsageMeters {
  constructor(private readonly meters: UsageMeterRepository) {}

  @EventHandler(DeliveryEvents.downloadRecorded, { consumer: 'usage-meters' })
  async recorded(download: DownloadRecordedV1): Promise<void> {
    if (download.pricingModel !== 'metered') return;
    await this.meters.add({
      entitlementId: download.entitlementId,
      orderId: download.orderId,
      organizationId: download.organizationId,
      bytes: download.bytes,
      at: new Date(download.finishedAt),
    });
  }
}
