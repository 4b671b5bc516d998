import type { DatasetStatus } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

@Injectable()
export class DatasetStatsRepository extends TransactionalRepository {
  /** Listings per moderation status, of one vendor or of all; a status without any is absent. */
  async countByStatus(vendorOrganizationId?: string): Promise<{ status: DatasetStatus; count: number }[]> {
    return (await this.manager.query(`SELECT status, count(*)::int AS count FROM dataset WHERE ($1::uuid IS NULL OR vendor_organization_id = $1) GROUP BY status`, [
      vendorOrganizationId ?? null,
    ])) as { status: DatasetStatus; count: number }[];
  }
}
