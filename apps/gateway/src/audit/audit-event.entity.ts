import { AUDIT_OUTCOMES, sqlIn, type AuditOutcome } from '@trove/contracts';
import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type { AuditOutcome };

// Indexes and checks as the migrations create them (the schema test holds the two together);
// each index ends (at DESC, id DESC) in the database.
/** Who did what to which object, when, with which key, and how it ended. Never a secret. */
@Entity({ name: 'audit_event' })
@Index('audit_event_time_idx', ['at', 'id'])
@Index('audit_event_actor_idx', ['actorOrganizationId', 'at', 'id'])
@Index('audit_event_key_idx', ['actorKeyId', 'at', 'id'])
@Index('audit_event_action_idx', ['action', 'at', 'id'])
@Index('audit_event_target_idx', ['targetId', 'at', 'id'])
@Check('audit_event_outcome_check', sqlIn('outcome', AUDIT_OUTCOMES))
export class AuditEvent {
  @PrimaryColumn('uuid')
  id: string;

  @Column('timestamp with time zone', { precision: 3 })
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
