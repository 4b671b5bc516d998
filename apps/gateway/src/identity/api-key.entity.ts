import { API_KEY_ACCESS, sqlIn, type ApiKeyAccess } from '@trove/contracts';
import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Organization } from './organization.entity';

// Index, checks and foreign key as the migrations create them (the schema test holds the two
// together); the index is (organization_id, created_at DESC, id DESC) in the database.
@Entity({ name: 'api_key' })
@Index('api_key_organization_idx', ['organizationId', 'createdAt', 'id'])
@Check('api_key_name_check', 'length(name) BETWEEN 1 AND 100')
@Check('api_key_secret_hash_check', 'length(secret_hash) = 32')
@Check('api_key_access_check', sqlIn('access', API_KEY_ACCESS))
export class ApiKey {
  /** Also the first part of the key itself, so a request finds its row by primary key. */
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'organization_id' })
  @ForeignKey(() => Organization, { name: 'api_key_organization_id_fkey' })
  organizationId: string;

  @Column('text')
  name: string;

  /** `trv_` and the first 8 characters of the key id: recognisable, useless to an attacker. */
  @Column('text', { name: 'display_prefix' })
  displayPrefix: string;

  /** SHA-256 of the secret part; the key itself is never stored. */
  @Column('bytea', { name: 'secret_hash' })
  secretHash: Buffer;

  @Column('uuid', { name: 'created_by_key_id', nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3, name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  /** `read`: the key may GET and HEAD only (see API_KEY_ACCESS). */
  @Column('text', { default: 'full' })
  access: ApiKeyAccess;

  isUsable(now: Date): boolean {
    return !this.revokedAt && (!this.expiresAt || this.expiresAt > now);
  }
}
