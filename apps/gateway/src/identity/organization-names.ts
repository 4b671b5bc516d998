import { Injectable } from '@nestjs/common';
import { CatalogSubjects } from '@trove/contracts';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { OrganizationRepository } from './organization.repository';

/**
 * The services name organizations by id; the gateway, which keeps them, adds the name each
 * signed up with: the buyer on a vendor's sales, access requests and recipients (`attach`, one
 * read per page, null for an id it does not know), and the vendor of a Croissant card that has
 * no profile (`nameCreator`), when no other vendor goes by that name. A reader sees who, not a UUID.
 */
@Injectable()
export class OrganizationNames {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly organizations: OrganizationRepository,
    private readonly rpc: RpcClient,
  ) {}

  async attach<T extends { buyerOrganizationId: string }>(page: { items: T[]; nextCursor: string | null }): Promise<{ items: (T & { buyerName: string | null })[]; nextCursor: string | null }> {
    const ids = [...new Set(page.items.map((item) => item.buyerOrganizationId))];
    const names = ids.length === 0 ? new Map<string, string>() : await this.unitOfWork.read(() => this.organizations.namesOf(ids));
    return { ...page, items: page.items.map((item) => ({ ...item, buyerName: names.get(item.buyerOrganizationId) ?? null })) };
  }

  /**
   * Names the creator of a Croissant card that catalog could only identify: a vendor with no
   * profile is published under the name its organization signed up with, not its id. Sign-up
   * names are not reserved, so that name is left out, and the card names the creator by its id
   * alone, when another vendor goes by it as well: another approved vendor signed up under it,
   * or another vendor's profile shows it (asked of the catalog, once per card). Trove cannot
   * say which of the two it stands for, and buyers and dataset search engines read `creator`
   * as where the data comes from. An id no organization has is named by itself, as before.
   */
  async nameCreator(card: Record<string, unknown>): Promise<Record<string, unknown>> {
    const creator = card.creator as { identifier?: unknown; name?: unknown } | undefined;
    if (!creator || creator.name !== undefined || typeof creator.identifier !== 'string') return card;
    const id = creator.identifier;
    const signedUp = await this.unitOfWork.read(() => this.organizations.signUpNameOf(id));
    if (!signedUp) return { ...card, creator: { ...creator, name: id } };
    if (signedUp.sharedWithAnotherVendor) return card;
    const { reserved } = await this.rpc.send(CatalogSubjects.vendorNameReserved, { organizationId: id, name: signedUp.name });
    return reserved ? card : { ...card, creator: { ...creator, name: signedUp.name } };
  }

  /** One item, as `attach` names a page's. */
  async attachOne<T extends { buyerOrganizationId: string }>(item: T): Promise<T & { buyerName: string | null }> {
    return (await this.attach({ items: [item], nextCursor: null })).items[0];
  }
}
