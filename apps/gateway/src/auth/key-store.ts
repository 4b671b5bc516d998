import { GatewayBroadcasts, IdentityChanged } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeJson, encodeJson, InjectNats, Namespace } from '@trove/messaging';
import type { NatsConnection, Subscription } from 'nats';
import { DataSource } from 'typeorm';
import { parseKey, secretMatches } from '../identity/api-key-token';
import type { OrganizationKind, OrganizationStatus } from '../identity/organization-state';
import type { Principal } from './principal';

/**
 * What any replica may have cached about a key is at most this old, even if a broadcast of
 * its revocation was missed: revocation takes effect across replicas within a second.
 */
const CACHE_TTL_MS = 1000;
const CACHE_MAX_ENTRIES = 50_000;
const LAST_USED_FLUSH_MS = 15_000;

interface KeyRow {
  id: string;
  organization_id: string;
  secret_hash: Buffer;
  expires_at: Date | null;
  revoked_at: Date | null;
  org_name: string;
  org_kind: OrganizationKind;
  org_status: OrganizationStatus;
  org_contact_email: string;
  org_created_at: Date;
}

interface CacheEntry {
  row: KeyRow | null;
  until: number;
}

export type KeyCheck = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * Checks API keys: one primary-key lookup per key per second at most, the rest from memory.
 * Revocations and suspensions are broadcast to every replica; `last used` is remembered in
 * memory and written in batches, never by the request itself.
 */
@Injectable()
export class KeyStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('KeyStore');
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastUsed = new Map<string, Date>();
  private subscription?: Subscription;
  private flushTimer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectNats() private readonly nc: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nc.subscribe(this.namespace.subject(GatewayBroadcasts.identityChanged), {
      callback: (error, msg) => {
        if (error) return;
        try {
          this.forget(decodeJson(msg.data) as IdentityChanged);
        } catch {
          this.cache.clear();
        }
      },
    });
    this.flushTimer = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    this.subscription?.unsubscribe();
    await this.flushLastUsed();
  }

  async check(token: string): Promise<KeyCheck> {
    const parsed = parseKey(token);
    if (!parsed) return { ok: false, reason: 'The API key is malformed: keys look like trv_<32 hex>_<43 characters>.' };
    const row = await this.row(parsed.id);
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) return { ok: false, reason: 'The API key is not valid.' };
    if (row.revoked_at) return { ok: false, reason: 'The API key has been revoked.' };
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) return { ok: false, reason: 'The API key has expired.' };
    this.lastUsed.set(row.id, new Date());
    return {
      ok: true,
      principal: {
        keyId: row.id,
        organizationId: row.organization_id,
        role: row.org_kind,
        organization: {
          id: row.organization_id,
          name: row.org_name,
          kind: row.org_kind,
          status: row.org_status,
          contactEmail: row.org_contact_email,
          createdAt: row.org_created_at.toISOString(),
        },
      },
    };
  }

  /** Forgets here and tells every other replica to forget too. */
  async changed(change: IdentityChanged): Promise<void> {
    this.forget(change);
    this.nc.publish(this.namespace.subject(GatewayBroadcasts.identityChanged), encodeJson(change));
    await this.nc.flush().catch((error: Error) => this.logger.warn(`identity change not broadcast: ${error.message}`));
  }

  private forget(change: IdentityChanged): void {
    if (change.keyId) this.cache.delete(change.keyId);
    if (change.organizationId) {
      for (const [id, entry] of this.cache) if (entry.row?.organization_id === change.organizationId) this.cache.delete(id);
    }
  }

  private async row(id: string): Promise<KeyRow | null> {
    const now = Date.now();
    const cached = this.cache.get(id);
    if (cached && cached.until > now) return cached.row;
    const rows = (await this.dataSource.query(
      `SELECT k.id, k.organization_id, k.secret_hash, k.expires_at, k.revoked_at,
              o.name AS org_name, o.kind AS org_kind, o.status AS org_status,
              o.contact_email AS org_contact_email, o.created_at AS org_created_at
         FROM api_key k JOIN organization o ON o.id = k.organization_id
        WHERE k.id = $1`,
      [id],
    )) as KeyRow[];
    const row = rows[0] ?? null;
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    // Unknown ids are remembered too, so guessing keys costs the database nothing extra.
    this.cache.set(id, { row, until: now + CACHE_TTL_MS });
    return row;
  }

  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const entries = [...this.lastUsed];
    this.lastUsed.clear();
    try {
      await this.dataSource.query(
        `UPDATE api_key k SET last_used_at = u.at
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
          WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
        [entries.map(([id]) => id), entries.map(([, at]) => at.toISOString())],
      );
    } catch (error) {
      this.logger.warn(`last-used times not saved: ${(error as Error).message}`);
    }
  }
}
