import { eventAggregateType, GatewayEvents } from '@trove/contracts';
import type { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CatchUpGate } from './catch-up-gate';
import type { EventConsumers } from './event.consumers';
import type { UnappliedChange, UnappliedChanges } from './unapplied-changes';

const ORGANIZATION = eventAggregateType(GatewayEvents.organizationStatusChanged.subject);

/**
 * The base of a service's provider that says whether what it knows of who may sell, be paid or
 * buy is current. Such a service learns an operator's suspension from the gateway's
 * `organization.status-changed` (on its consumer `organization-statuses`) and maybe from other
 * services' events, and two things make that stale: the service was down while they were
 * published (a `CatchUpGate` on its `consumers`, opened once they have applied what waited for
 * them at the start), or one of them ended as a dead letter not yet replayed (`unappliedStatusOf`).
 */
export abstract class OrganizationStanding implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly gate: CatchUpGate;

  protected constructor(
    consumers: EventConsumers,
    names: readonly string[],
    logger: Logger,
    protected readonly unappliedChanges: UnappliedChanges,
  ) {
    this.gate = new CatchUpGate(consumers, names, logger);
  }

  onApplicationBootstrap(): void {
    void this.gate.start();
  }

  onApplicationShutdown(): void {
    this.gate.stop();
  }

  /** False from the service's start until its consumers have applied what waited for them. */
  get caughtUp(): boolean {
    return this.gate.open;
  }

  /** Refuses `what` (503) until then. */
  assertCaughtUp(what: string): void {
    this.gate.assertOpen(what);
  }

  /** A status change of one of these organizations that the service could not apply, or null. */
  unappliedStatusOf(organizationIds: readonly string[]): Promise<UnappliedChange | null> {
    return this.unappliedChanges.ofAggregates('organization-statuses', ORGANIZATION, organizationIds);
  }
}
