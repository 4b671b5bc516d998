import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An object whose row is gone and whose bytes are still in storage: queued by the transaction
 * that removed the row, dequeued once the bytes are deleted (see ObjectDeletions).
 */
@Entity({ name: 'object_deletion' })
@Index('object_deletion_queued_idx', ['queuedAt'])
export class ObjectDeletion {
  @PrimaryColumn('text')
  key: string;

  @Column('timestamptz', { name: 'queued_at', default: () => 'now()' })
  queuedAt: Date;
}
