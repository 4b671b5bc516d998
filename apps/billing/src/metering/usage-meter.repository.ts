import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/**
 * What each entitlement sold per GiB has used: one `usage_meter` row per entitlement, the bytes
 * delivered and by how many downloads. A download adds to it in one statement.
 */
@Injectable()
export class UsageMeterRepository extends TransactionalRepository {
  async add(usage: { entitlementId: string; orderId: string; organizationId: string; bytes: number; at: Date }): Promise<void> {
    await this.transaction.query(
      `INSERT INTO usage_meter (entitlement_id, order_id, organization_id, unit, bytes, downloads, first_download_at, last_download_at)
       VALUES ($1, $2, $3, 'gib', $4, 1, $5, $5)
       ON CONFLICT (entitlement_id) DO UPDATE
         SET bytes = usage_meter.bytes + EXCLUDED.bytes,
             downloads = usage_meter.downloads + 1,
             first_download_at = least(usage_meter.first_download_at, EXCLUDED.first_download_at),
             last_download_at = greatest(usage_meter.last_download_at, EXCLUDED.last_download_at)`,
      [usage.entitlementId, usage.orderId, usage.organizationId, usage.bytes, usage.at],
    );
  }
}
