import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { OrganizationRepository } from './organization.repository';

/**
 * The services name organizations by id; the gateway, which keeps them, adds the name each
 * signed up with: the buyer on a vendor's sales, access requests and recipients (`attach`, one
 * read per page, null for an id it does not know). A reader sees who, not a UUID.
 */
@Injectable()
export class OrganizationNames {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly organizations: OrganizationRepository,
  ) {}

  async attach<T extends { buyerOrganizationId: string }>(page: { items: T[]; nextCursor: string | null }): Promise<{ items: (T & { buyerName: string | null })[]; nextCursor: string | null }> {
    const ids = [...new Set(page.items.map((item) => item.buyerOrganizationId))];
    const names = ids.length === 0 ? new Map<string, string>() : await this.unitOfWork.read(() => this.organizations.namesOf(ids));
    return { ...page, items: page.items.map((item) => ({ ...item, buyerName: names.get(item.buyerOrganizationId) ?? null })) };
  }

  /** One item, as `attach` names a page's. */
  async attachOne<T extends { buyerOrganizationId: string }>(item: T): Promise<T & { buyerName: string | null }> {
    return (await this.attach({ items: [item], nextCursor: null })).items[0];
  }
}
