import { randomUUID } from 'node:crypto';
import type { DatasetStatus } from '@trove/contracts';
import { withDatabase } from './postgres';

export interface DatasetRow {
  id: string;
  vendorOrganizationId: string;
  title: string;
  status: DatasetStatus;
}

/** A listing as vendors in this market write them, straight into the catalog database. */
export async function newDataset(catalogUrl: string, overrides: Partial<DatasetRow> = {}): Promise<DatasetRow> {
  const row: DatasetRow = {
    id: randomUUID(),
    vendorOrganizationId: randomUUID(),
    title: '普通话手机采集语音数据 1,000 小时 / Mandarin smartphone speech, 1,000 hours',
    status: 'published',
    ...overrides,
  };
  await withDatabase(catalogUrl, (client) =>
    client.query(`INSERT INTO dataset (id, vendor_organization_id, title, status) VALUES ($1, $2, $3, $4)`, [
      row.id,
      row.vendorOrganizationId,
      row.title,
      row.status,
    ]),
  );
  return row;
}
