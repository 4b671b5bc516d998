import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/** What an entitlement sold per GiB has used: the bytes delivered and by how many downloads. */
export interface UsageMeter {
  entitlementId: string;
  orderId: string;
  organizationId: string;
  unit: 'gib';
  bytes: number;
  downloads: number;
  firstDownloadAt: Date;
  lastDownloadAt: Date;
}

interface UsageMeterRow {
  entitlement_id: string;
  order_id: string;
  organization_id: string;
  unit: 'gib';
  bytes: string;
  downloads: number;
  first_download_at: Date;
  last_download_at: Date;
}

function toMeter(row: UsageMeterRow): UsageMeter {
  return {
    entitlementId: row.entitlement_id,
    orderId: row.order_id,
    organizationId: row.organization_id,
    unit: row.unit,
    bytes: Number(row.bytes),
    downloads: row.downloads,
    firstDownloadAt: new Date(row.first_download_at),
    lastDownloadAt: new Date(row.last_download_at),
  };
}

/** One row per metered entitlement; a download adds to it in one statement. */
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

  async find(entitlementId: string): Promise<UsageMeter | null> {
    const rows = (await this.manager.query(`SELECT * FROM usage_meter WHERE entitlement_id = $1`, [entitlementId])) as UsageMeterRow[];
    return rows[0] ? toMeter(rows[0]) : null;
  }
}
