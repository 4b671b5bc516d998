import { GatewayEvents } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { PeriodicJob } from '@trove/platform';
import { GatewayConfig } from '../gateway.config';
import { OrganizationRepository } from './organization.repository';

const BATCH = 100;
/** How often it looks; announcements fall due days apart, so an hour late is nothing. */
const CHECK_EVERY_MS = 3600 * 1000;

/**
 * Announces every suspension in force again, with the time it was made, before its last
 * announcement leaves the event stream (7 days): a service that starts reading the stream later
 * (a consumer added in a new release, a new service, one whose database was rebuilt) learns of
 * the suspension like the others did. The services keep the newest status by its `changedAt`,
 * so to those that have it an announcement is a repeat and changes nothing. A change of status
 * is itself an announcement.
 */
@Injectable()
export class StatusAnnouncer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('StatusAnnouncer');
  private readonly job = new PeriodicJob(this.logger, 'announcing suspensions failed', () => this.announceDue(), { level: 'error' });

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly organizations: OrganizationRepository,
    private readonly settings: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(Math.min(CHECK_EVERY_MS, Math.floor(this.settings.SUSPENSION_REANNOUNCE_AFTER_MS / 4)), { immediately: true });
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** Announces every suspension last announced longer ago than the setting; answers how many. */
  async announceDue(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.settings.SUSPENSION_REANNOUNCE_AFTER_MS);
    let announced = 0;
    for (;;) {
      const count = await this.unitOfWork.run(async (tx) => {
        const due = await this.organizations.suspensionsToAnnounce(before, BATCH);
        for (const organization of due) {
          await tx.publish(GatewayEvents.organizationStatusChanged, {
            organizationId: organization.id,
            status: organization.status,
            changedAt: organization.statusChangedAt!.toISOString(),
          });
          await this.organizations.markAnnounced(organization.id, now);
        }
        return due.length;
      });
      announced += count;
      if (count < BATCH) break;
    }
    if (announced > 0) this.logger.log(`announced ${announced} suspension(s) again`);
    return announced;
  }
}
