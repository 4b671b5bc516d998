import { CommonErrorCode, GatewayEvents } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork, type Transaction } from '@trove/messaging';
import { DEFAULT_PAGE_SIZE, fieldError, ServiceException, toPage, type Page } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { KeyStore } from '../auth/key-store';
import type { Principal } from '../auth/principal';
import { issueKey } from '../auth/api-key-token';
import type { ApiKey } from './api-key.entity';
import { ApiKeyRepository, apiKeysScope } from './api-key.repository';
import type { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, MeDto, OrganizationDto, OrganizationListQuery, SignUpDto, SignUpResultDto } from './identity.dto';
import { apiKeyView, organizationView } from './identity.views';
import { Organization } from './organization.entity';
import { OrganizationRepository, organizationsScope } from './organization.repository';
import { GatewayConfig } from '../gateway.config';

/**
 * Organizations and their keys. Every change runs in one unit of work, which also writes the
 * call's audit record (see AuditService), so a change and its record commit together; other
 * replicas hear of a change only after it has committed.
 */
@Injectable()
export class IdentityService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly organizations: OrganizationRepository,
    private readonly keys: ApiKeyRepository,
    private readonly keyStore: KeyStore,
    private readonly config: GatewayConfig,
  ) {}

  /** A new organization and its first key, in one transaction: neither exists without the other. */
  async signUp(dto: SignUpDto): Promise<SignUpResultDto> {
    const key = issueKey();
    const organization = await this.unitOfWork.run(async (tx) => {
      const created = Object.assign(new Organization(), {
        id: randomUUID(),
        name: dto.name,
        kind: dto.kind,
        status: dto.kind === 'buyer' ? 'active' : 'pending',
        contactEmail: dto.contactEmail,
      });
      await this.organizations.save(created);
      await this.keys.insert({
        id: key.id,
        organizationId: created.id,
        name: 'default',
        displayPrefix: key.displayPrefix,
        secretHash: key.secretHash,
      });
      tx.afterCommit(() => this.keyStore.issued(key.id));
      return created;
    });
    return { organization: organizationView(organization), apiKey: key.token };
  }

  me(principal: Principal): MeDto {
    return { organization: principal.organization, role: principal.role, keyId: principal.keyId, access: principal.access };
  }

  /**
   * A key for the caller's organization, or, by an operator, for `organizationId` (one whose only
   * key with full access leaked and was revoked: its people get the new key from the operator).
   */
  async createKey(principal: Principal, dto: CreateApiKeyDto, organizationId = principal.organizationId): Promise<CreatedApiKeyDto> {
    let expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'expiresAt: must be in the future', [
        { field: 'expiresAt', problems: ['expiresAt must be in the future'] },
      ]);
    }
    // A key that expires cannot outlive itself through the keys it makes: a leaked short-lived
    // key would otherwise mint a permanent one. Left out, the new key expires with its maker.
    if (principal.keyExpiresAt !== undefined) {
      const limit = new Date(principal.keyExpiresAt);
      if (expiresAt && expiresAt > limit) {
        const problem = `expiresAt must not be after ${limit.toISOString()}, when the key that makes it expires`;
        throw fieldError('expiresAt', problem);
      }
      expiresAt ??= limit;
    }
    const access = dto.access ?? 'full';
    const key = issueKey();
    // The unit's result names what it created: the audit record's target.
    await this.unitOfWork.run(async (tx) => {
      if (organizationId !== principal.organizationId) await this.assertOrganization(organizationId);
      // Each key is a rate bucket of its own and a row: an organization made 139 in a minute.
      const live = await this.keys.liveKeys(organizationId);
      if (live >= this.config.API_KEYS_PER_ORGANIZATION) {
        throw new ServiceException(
          CommonErrorCode.CONFLICT,
          `An organization holds at most ${this.config.API_KEYS_PER_ORGANIZATION} keys that work, and this one holds ${live}: revoke one it no longer uses (GET /v1/api-keys lists them) before making another.`,
        );
      }
      await this.keys.insert({
        id: key.id,
        organizationId,
        name: dto.name,
        displayPrefix: key.displayPrefix,
        secretHash: key.secretHash,
        createdByKeyId: principal.keyId,
        expiresAt,
        access,
      });
      tx.afterCommit(() => this.keyStore.issued(key.id));
      return { id: key.id };
    });
    return { id: key.id, name: dto.name, key: key.token, expiresAt: expiresAt?.toISOString() ?? null, access };
  }

  listKeys(principal: Principal, cursor: string | undefined, limit = DEFAULT_PAGE_SIZE): Promise<Page<ApiKeyDto>> {
    return this.keysPage(principal.organizationId, cursor, limit, false);
  }

  /** An operator's view of an organization's keys (never the keys themselves), to find one that leaked. */
  listKeysOf(organizationId: string, cursor: string | undefined, limit = DEFAULT_PAGE_SIZE): Promise<Page<ApiKeyDto>> {
    return this.keysPage(organizationId, cursor, limit, true);
  }

  private async keysPage(organizationId: string, cursor: string | undefined, limit: number, checkExists: boolean): Promise<Page<ApiKeyDto>> {
    const rows = await this.unitOfWork.read(async () => {
      if (checkExists) await this.assertOrganization(organizationId);
      return this.keys.listOwned(organizationId, cursor, limit);
    });
    return toPage(rows, limit, (k) => ({ at: k.createdAt, id: k.id }), apiKeyView, apiKeysScope(organizationId));
  }

  /** NOT_FOUND for an organization that does not exist: one an operator names may not. */
  private async assertOrganization(id: string): Promise<void> {
    if ((await this.organizations.kindOf(id)) === null) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No organization ${id}.`);
  }

  /**
   * An operator revokes any organization's key: one found in a public repository, say, whose
   * organization cannot be reached or does not act. Unlike the organization's own revocation it
   * may take the last key with full access: a leaked key is worse than none, and the operator
   * gives the organization a new one (`createKey` for it).
   */
  async revokeAnyKey(id: string): Promise<void> {
    await this.unitOfWork.run(async (tx) => {
      const key = await this.keys.find(id);
      if (!key) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No API key ${id}.`);
      await this.revokeFound(tx, key);
    });
  }

  /**
   * Revoking is final and idempotent; every gateway replica refuses the key from now on, and
   * delivery, told by the event committed with the change, the download URLs signed for it.
   */
  async revokeKey(principal: Principal, id: string): Promise<void> {
    await this.unitOfWork.run(async (tx) => {
      const key = await this.keys.findOwned(principal.organizationId, id);
      if (!key) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No API key ${id}.`);
      // The last key with full access revoked left the organization with no way to make another
      // (or to buy, pay or publish) short of an operator: it makes a new one first.
      if (key.access === 'full' && key.isUsable(new Date()) && !(await this.keys.keepsAnotherFullKey(key.organizationId, id, key.expiresAt))) {
        throw new ServiceException(
          CommonErrorCode.CONFLICT,
          `Key ${id} is the organization's last key with full access that lasts as long as it does: make another (POST /v1/api-keys) that expires no sooner before revoking it, or the organization could be left with no key to make one.`,
        );
      }
      await this.revokeFound(tx, key);
    });
  }

  /** Revokes the key, once; delivery is told (the URLs signed for it), and every replica forgets it. */
  private async revokeFound(tx: Transaction, key: ApiKey): Promise<void> {
    const revokedAt = new Date();
    if (await this.keys.revoke(key.id, revokedAt)) {
      await tx.publish(GatewayEvents.apiKeyRevoked, { keyId: key.id, organizationId: key.organizationId, revokedAt: revokedAt.toISOString() });
    }
    tx.afterCommit(() => this.keyStore.changed({ keyId: key.id }));
  }

  async listOrganizations(query: OrganizationListQuery): Promise<Page<OrganizationDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.unitOfWork.read(() => this.organizations.list(query, limit));
    return toPage(rows, limit, (o) => ({ at: o.createdAt, id: o.id }), organizationView, organizationsScope(query));
  }

  approve(id: string): Promise<OrganizationDto> {
    return this.changeStatus(id, (organization) => organization.approve());
  }

  /**
   * `reason` is the organization's to read in the 403 its keys get. A suspended organization
   * cannot be suspended again (409), so its first reason stands until it is approved.
   */
  suspend(id: string, reason: string | null = null): Promise<OrganizationDto> {
    return this.changeStatus(id, (organization) => {
      if (organization.kind === 'admin') {
        throw new ServiceException(CommonErrorCode.CONFLICT, "The operators' organization cannot be suspended.");
      }
      organization.suspend(reason);
    });
  }

  /**
   * The change, and the event that tells the other services (delivery refuses the download URLs
   * of a suspended organization), commit together; the row lock orders an organization's changes.
   */
  private async changeStatus(id: string, change: (organization: Organization) => void): Promise<OrganizationDto> {
    const organization = await this.unitOfWork.run(async (tx) => {
      const found = await this.organizations.findForUpdate(id);
      if (!found) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No organization ${id}.`);
      change(found);
      tx.afterCommit(() => this.keyStore.changed({ organizationId: id }));
      const saved = await this.organizations.save(found);
      await tx.publish(GatewayEvents.organizationStatusChanged, { organizationId: id, status: saved.status, changedAt: saved.statusChangedAt!.toISOString() });
      return saved;
    });
    return organizationView(organization);
  }
}
