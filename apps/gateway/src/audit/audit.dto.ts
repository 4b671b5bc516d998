import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { AUDIT_OUTCOMES, type AuditOutcome } from '@trove/contracts';
import { PageQuery } from '@trove/platform';
import { PageOf } from '../openapi/page.dto';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'An organization id or an API key id' })
  @IsOptional()
  @IsUUID()
  actor?: string;

  @ApiPropertyOptional({ example: 'api-key.revoke' })
  @IsOptional()
  @Matches(/^[a-z-]+\.[a-z-]+$/, { message: 'action must look like api-key.revoke' })
  action?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  at: string;

  @ApiProperty({ description: 'Who acted: organization, key and role; null for anonymous calls' })
  actor: { organizationId: string | null; keyId: string | null; role: string | null };

  @ApiProperty({ example: 'organization.approve' })
  action: string;

  @ApiProperty({ description: 'What it acted on' })
  target: { type: string | null; id: string | null };

  @ApiProperty({ enum: AUDIT_OUTCOMES })
  outcome: AuditOutcome;

  @ApiProperty({ example: 200 })
  status: number;

  @ApiProperty({ nullable: true, type: String, example: 'FORBIDDEN' })
  errorCode: string | null;

  @ApiProperty()
  correlationId: string;

  @ApiProperty({ nullable: true, type: String })
  ip: string | null;
}

export class AuditPageDto extends PageOf(AuditEventDto) {}
