import { IsOptional, IsUUID } from 'class-validator';

/** Tells every gateway replica to forget what it cached about a key or an organization. */
export class IdentityChanged {
  @IsOptional()
  @IsUUID()
  keyId?: string;

  @IsOptional()
  @IsUUID()
  organizationId?: string;
}
