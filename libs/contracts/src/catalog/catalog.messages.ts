import { IsUUID } from 'class-validator';

export class GetDatasetRequest {
  @IsUUID()
  id: string;
}

export type DatasetStatus = 'draft' | 'in_review' | 'published' | 'rejected' | 'suspended';

export interface DatasetSummary {
  id: string;
  vendorOrganizationId: string;
  title: string;
  status: DatasetStatus;
  createdAt: string;
  updatedAt: string;
}
