import type { DatasetStatus } from '@trove/contracts';
import { StateMachine } from '@trove/platform';

/**
 * Moderation of a listing. A vendor submits a draft (or a rejected listing it fixed) for
 * review; an operator publishes or rejects it, with a reason the vendor sees. A published
 * listing can be suspended by an operator, and approving a suspended one reinstates it; or
 * withdrawn by its vendor, which puts it on sale again by submitting it for review.
 */
export const datasetStates = new StateMachine<DatasetStatus>('dataset', {
  draft: ['in_review'],
  in_review: ['published', 'rejected'],
  rejected: ['in_review'],
  published: ['suspended', 'withdrawn'],
  suspended: ['published'],
  withdrawn: ['in_review'],
});

/** Only these are visible to anyone; the others only to their vendor and to admins. */
export const PUBLIC_STATUSES: readonly DatasetStatus[] = ['published'];
