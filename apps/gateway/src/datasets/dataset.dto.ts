import type { DatasetStatus } from '@trove/contracts';
import { ApiProperty } from '@nestjs/swagger';

export class DatasetSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({ example: '普通话手机采集语音数据 1,000 小时 / Mandarin smartphone speech, 1,000 hours' })
  title: string;

  @ApiProperty({ enum: ['draft', 'in_review', 'published', 'rejected', 'suspended'] })
  status: DatasetStatus;

  @ApiProperty({ example: '2026-11-28T09:30:00.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-28T09:30:00.000Z' })
  updatedAt: string;
}
