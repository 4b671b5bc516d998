import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AuditOutcome = 'success' | 'denied' | 'failed';

/** Who did what to which object, when, with which key, and how it ended. Never a secret. */
@Entity({ name: 'audit_event' })
export class AuditEvent {
  @PrimaryColumn('uuid')
  id: string;

  @Column('timestamptz')
  at: Date;

  @Column('uuid', { name: 'actor_organization_id', nullable: true })
  actorOrganizationId: string | null;

  @Column('uuid', { name: 'actor_key_id', nullable: true })
  actorKeyId: string | null;

  @Column('text', { name: 'actor_role', nullable: true })
  actorRole: string | null;

  @Column('text')
  action: string;

  @Column('text', { name: 'target_type', nullable: true })
  targetType: string | null;

  @Column('text', { name: 'target_id', nullable: true })
  targetId: string | null;

  @Column('text')
  outcome: AuditOutcome;

  @Column('integer')
  status: number;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text', { name: 'correlation_id' })
  correlationId: string;

  @Column('text', { name: 'ip', nullable: true })
  ip: string | null;
}
