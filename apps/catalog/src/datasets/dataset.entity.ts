import { CommonErrorCode, DATASET_STATUSES, sqlIn, type DatasetStatus, type DatasetView } from '@trove/contracts';
import { ServiceException } from '@trove/platform';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { datasetStates } from './dataset-state';

/** A vendor's dataset listing: its metadata (libs/dataset's model) and its moderation state. */
@Entity({ name: 'dataset' })
@Index('dataset_vendor_idx', ['vendorOrganizationId'])
@Index('dataset_vendor_status_idx', ['vendorOrganizationId', 'status', 'createdAt', 'id'])
@Check('dataset_title_check', `length(title) BETWEEN 1 AND 300`)
@Check('dataset_status_check', sqlIn('status', DATASET_STATUSES))
export class Dataset {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'vendor_organization_id' })
  vendorOrganizationId: string;

  /** The listing's title, kept out of the metadata for lists and search. */
  @Column('text')
  title: string;

  @Column('text', { default: 'draft' })
  status: DatasetStatus;

  @Column('jsonb', { default: {} })
  metadata: Record<string, unknown>;

  @Column('text', { name: 'rejection_reason', nullable: true })
  rejectionReason: string | null;

  @Column('timestamptz', { name: 'submitted_at', nullable: true })
  submittedAt: Date | null;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;

  /**
   * An operator reviews what was submitted: until the decision the listing holds still, its
   * metadata and everything it sells (versions and their files, offers, samples). `then` says
   * what the vendor can do again afterwards.
   */
  assertNotInReview(then: string): void {
    if (this.status === 'in_review') {
      throw new ServiceException(CommonErrorCode.INVALID_STATE, `The dataset is in review; ${then} once an operator has approved or rejected it.`);
    }
  }

  submit(now: Date): void {
    this.moveTo('in_review');
    this.submittedAt = now;
  }

  publish(now: Date): void {
    this.moveTo('published');
    this.rejectionReason = null;
    this.publishedAt ??= now;
  }

  reject(reason: string): void {
    this.moveTo('rejected');
    this.rejectionReason = reason;
  }

  /** Taken down by an operator; the reason, when one is given, is shown to the vendor (as a rejection's is). */
  suspend(reason: string | null): void {
    this.moveTo('suspended');
    this.rejectionReason = reason;
  }

  /** Taken off sale by its vendor; an operator's earlier reason, if any, no longer applies. */
  withdraw(): void {
    this.moveTo('withdrawn');
    this.rejectionReason = null;
  }

  private moveTo(status: DatasetStatus): void {
    datasetStates.assert(this.status, status);
    this.status = status;
  }

  toView(): DatasetView {
    return {
      id: this.id,
      vendorOrganizationId: this.vendorOrganizationId,
      title: this.title,
      status: this.status,
      rejectionReason: this.rejectionReason,
      metadata: this.metadata,
      createdAt: this.createdAt.toISOString(),
      updatedAt: this.updatedAt.toISOString(),
      publishedAt: this.publishedAt?.toISOString() ?? null,
    };
  }
}
