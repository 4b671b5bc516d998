import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/** A status recorded, with the one it replaced (null: the organization had none recorded). */
export interface StandingChange {
  previous: string | null;
  status: string;
}

/** The latest status of each organization, as the gateway reported it (`organization_standing`). */
@Injectable()
export class OrganizationStandingRepository extends TransactionalRepository {
  /**
   * Sets the organization's status when `changedAt` is newer than the one stored, in one
   * statement, and answers it with the status it replaced; null when a newer (or the same)
   * change was stored already and nothing changed.
   */
  async record(organizationId: string, status: string, changedAt: Date): Promise<StandingChange | null> {
    const [row] = (await this.transaction.query(
      `WITH previous AS (SELECT status FROM organization_standing WHERE organization_id = $1::uuid),
            recorded AS (
              INSERT INTO organization_standing (organization_id, status, changed_at) VALUES ($1::uuid, $2, $3)
              ON CONFLICT (organization_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at
               WHERE organization_standing.changed_at < EXCLUDED.changed_at
              RETURNING status)
       SELECT (SELECT status FROM previous) AS previous, (SELECT status FROM recorded) AS status`,
      [organizationId, status, changedAt],
    )) as { previous: string | null; status: string | null }[];
    return row.status === null ? null : { previous: row.previous, status: row.status };
  }
}
