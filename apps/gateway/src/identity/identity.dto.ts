import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { API_KEY_ACCESS, DisplayText, IsMoment, ORGANIZATION_KINDS, ORGANIZATION_STATUSES, ROLES, SIGN_UP_KINDS, type ApiKeyAccess, type OrganizationKind, type OrganizationStatus, type Role, type SignUpKind } from '@trove/contracts';
import { PageQuery } from '@trove/platform';
import { PageOf } from '../openapi/page.dto';
import { ReadsAsWritten } from './contact-email';
import { MAX_SUSPENSION_REASON_LENGTH } from './organization-state';
import { trimLine } from '@trove/dataset';


export class SignUpDto {
  @ApiProperty({
    example: '数据堂（北京）科技股份有限公司 / Datatang (Beijing) Technology Co., Ltd.',
    maxLength: 200,
    description:
      'What operators (and, for a vendor, buyers) read: 1 to 200 characters after trimming, on one line; control characters, line breaks, bidirectional embeddings, overrides or isolates and invisible characters are 400',
  })
  @Transform(trimLine)
  @IsString()
  @Length(1, 200)
  @DisplayText('line')
  name: string;

  @ApiProperty({ enum: SIGN_UP_KINDS, description: 'Buyers start active; vendors are pending until an operator approves them' })
  @IsIn(SIGN_UP_KINDS)
  kind: SignUpKind;

  @ApiProperty({
    example: 'data-sales@example.cn',
    description:
      'Operators read it in their queue and copy it as it reads: bidirectional embeddings, overrides or isolates and invisible characters are 400, as in `name`; so are full-width characters (`ａｂ@example.com` reads as `ab@example.com`) and Cyrillic or Greek letters drawn as Latin ones in a Latin part, or spelling a whole part (`a@еxample.com`, `а@b.co`). An address written whole in one script (`数据采购@例子.中国`) is fine',
  })
  @Transform(trimLine)
  @IsEmail({}, { message: 'contactEmail must be an email address' })
  @Length(3, 254)
  // Stricter than a name: no character that shows nothing has a place in an address.
  @DisplayText('address')
  @ReadsAsWritten()
  contactEmail: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'training-pipeline-prod', maxLength: 100 })
  @Transform(trimLine)
  @IsString()
  @Length(1, 100)
  // Shown in the key list and the audit log to whoever reads them: no reordering or invisible
  // characters (`pipeline\u202Egnp.exe` read as `pipelineexe.png`), as for an organization's name.
  @DisplayText('line')
  name: string;

  @ApiPropertyOptional({
    example: '2027-06-30T00:00:00+08:00',
    description:
      'After this moment the key is refused, and so are the download and upload URLs signed for it. With its UTC offset (`Z`, `+08:00`): a time without one is 400, not read as UTC. ' +
      'A key that itself expires makes only keys that expire no later: left out, the new key expires with it; later is 400.',
  })
  @IsOptional()
  @IsMoment()
  expiresAt?: string;

  @ApiPropertyOptional({
    enum: API_KEY_ACCESS,
    default: 'full',
    description:
      '`full`: everything the organization\'s role may do. `read`: GET and HEAD only (search, listings, orders, invoices, entitlements and their manifests, whose signed URLs download the files); any other method is 403 KEY_READ_ONLY. ' +
      'For a training cluster or a dashboard that must never buy, pay, publish or make keys. A read key makes no keys.',
  })
  @IsOptional()
  @IsIn(API_KEY_ACCESS)
  access?: ApiKeyAccess;
}

/**
 * `POST /v1/admin/organizations/:id/suspend`: the body may be left out (or `{}`); a reason, when
 * given, is the organization's to read in the 403 its keys get, until it is approved again.
 */
export class SuspendOrganizationDto {
  @ApiPropertyOptional({
    example: '营业执照与申请主体不符，请以数据公司主体重新申请 / The business licence names another company: apply again as the data company',
    minLength: 1,
    maxLength: MAX_SUSPENSION_REASON_LENGTH,
    description:
      "Why the organization is suspended (or its vendor application declined), for the organization to read: the `detail` of the `403 ORGANIZATION_SUSPENDED` its keys get, and `statusReason`. 1 to 1,000 characters after trimming, on one line; control characters, line breaks and bidirectional embeddings, overrides or isolates are 400",
  })
  @IsOptional()
  @Transform(trimLine)
  @IsString()
  @Length(1, MAX_SUSPENSION_REASON_LENGTH)
  @DisplayText('line')
  reason?: string;
}

export class OrganizationListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ORGANIZATION_KINDS })
  @IsOptional()
  @IsIn(ORGANIZATION_KINDS)
  kind?: OrganizationKind;

  @ApiPropertyOptional({ enum: ORGANIZATION_STATUSES })
  @IsOptional()
  @IsIn(ORGANIZATION_STATUSES)
  status?: OrganizationStatus;
}

export class OrganizationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: ORGANIZATION_KINDS })
  kind: OrganizationKind;

  @ApiProperty({ enum: ORGANIZATION_STATUSES })
  status: OrganizationStatus;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '营业执照与申请主体不符，请以数据公司主体重新申请',
    description: "The operator's reason for the suspension, as it gave it; null unless the organization is suspended with a reason (approving clears it)",
  })
  statusReason: string | null;

  @ApiProperty()
  contactEmail: string;

  @ApiProperty()
  createdAt: string;
}

export class SignUpResultDto {
  @ApiProperty({ type: OrganizationDto })
  organization: OrganizationDto;

  @ApiProperty({ description: 'The first API key of the organization. Shown only here: store it now.', example: 'trv_…' })
  apiKey: string;
}

export class MeDto {
  @ApiProperty({ type: OrganizationDto })
  organization: OrganizationDto;

  @ApiProperty({ enum: ROLES })
  role: Role;

  @ApiProperty({ format: 'uuid' })
  keyId: string;

  @ApiProperty({ enum: API_KEY_ACCESS, description: 'What this key may do within the role: `read` keys GET and HEAD only' })
  access: ApiKeyAccess;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ example: 'trv_3f9a1c2e', description: 'The start of the key, to recognise it; never the key' })
  prefix: string;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ nullable: true, type: String })
  expiresAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Recorded within about 15 seconds of use' })
  lastUsedAt: string | null;

  @ApiProperty({ nullable: true, type: String })
  revokedAt: string | null;

  @ApiProperty({ enum: API_KEY_ACCESS, description: '`read` keys GET and HEAD only' })
  access: ApiKeyAccess;
}

export class CreatedApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ description: 'The key. Shown only here: store it now.', example: 'trv_…' })
  key: string;

  @ApiProperty({ nullable: true, type: String })
  expiresAt: string | null;

  @ApiProperty({ enum: API_KEY_ACCESS, description: '`read` keys GET and HEAD only' })
  access: ApiKeyAccess;
}

export class ApiKeyPageDto extends PageOf(ApiKeyDto) {}

export class OrganizationPageDto extends PageOf(OrganizationDto) {}
