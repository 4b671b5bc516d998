import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Dataset } from './dataset.entity';

interface DatasetRow {
  id: string;
  vendor_organization_id: string;
  title: string;
  status: Dataset['status'];
  created_at: Date;
  updated_at: Date;
}

@Injectable()
export class DatasetRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The read behind every dataset page and every purchase: one indexed row. Plain SQL, since
   * TypeORM's query builder cost more CPU than the query itself on this path.
   */
  async findById(id: string): Promise<Dataset | null> {
    const rows = (await this.dataSource.query(
      `SELECT id, vendor_organization_id, title, status, created_at, updated_at FROM dataset WHERE id = $1`,
      [id],
    )) as DatasetRow[];
    return rows[0] ? toDataset(rows[0]) : null;
  }
}

function toDataset(row: DatasetRow): Dataset {
  return Object.assign(new Dataset(), {
    id: row.id,
    vendorOrganizationId: row.vendor_organization_id,
    title: row.title,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
