import { Transform } from 'class-transformer';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { AUDIT_ACTION, AUDIT_OUTCOMES, type AuditOutcome } from '@trove/contracts';
import { lowerCase, PageQuery } from '@trove/platform';
import { PageOf } from '../openapi/page.dto';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'An organization id or an API key id' })
  @IsOptional()
  @IsUUID()
  actor?: string;

  @ApiPropertyOptional({ example: 'api-key.revoke' })
  @IsOptional()
  @Matches(AUDIT_ACTION, { message: 'action must look like api-key.revoke or dataset.version.create' })
  action?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ format: 'uuid', description: 'What was acted on: the history of one organization, listing, order, key... A UUID, in upper or lower case alike' })
  @IsOptional()
  @Transform(lowerCase)
  @IsUUID()
  target?: string;
}

export class AuditActorDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  organizationId: string | null;

  @ApiProperty({ nullable: true, type: String, description: "The API key's id" })
  keyId: string | null;

  @ApiProperty({ nullable: true, type: String, enum: ['admin', 'vendor', 'buyer', null], description: 'Null for an anonymous call' })
  role: string | null;
}

export class AuditTargetDto {
  @ApiProperty({ nullable: true, type: String, example: 'organization' })
  type: string | null;

  @ApiProperty({ nullable: true, type: String })
  id: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  at: string;

  @ApiProperty({ type: () => AuditActorDto, description: 'Who acted: organization, key and role, each null for an anonymous call' })
  actor: AuditActorDto;

  @ApiProperty({ example: 'organization.approve' })
  action: string;

  @ApiProperty({ type: () => AuditTargetDto, description: 'What it acted on' })
  target: AuditTargetDto;

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
