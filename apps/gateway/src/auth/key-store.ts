import { GatewayBroadcasts, IdentityChanged } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { decodeJson, encodeJson, InjectNats, Namespace, UnitOfWork } from '@trove/messaging';
import { PeriodicJob } from '@trove/platform';
import type { NatsConnection, Subscription } from 'nats';
import { parseKey, secretMatches } from './api-key-token';
import { KeyStoreRepository, type KeyRow } from './key-store.repository';
import type { Principal } from './principal';

/**
 * What any replica may have cached about a key is at most this old, even if a broadcast of
 * its revocation was missed: revocation takes effect across replicas within a second.
 */
const CACHE_TTL_MS = 1000;
const CACHE_MAX_ENTRIES = 50_000;
/** Ids of keys that exist, so that a refused address can still use them; see `check`. */
const KNOWN_IDS_MAX = 200_000;
const LAST_USED_FLUSH_MS = 15_000;

interface CacheEntry {
  row: KeyRow;
  until: number;
}

export type KeyCheck =
  | { ok: true; principal: Principal }
  /** `unchecked`: the key id is not one this replica knows, and the caller asked not to look it up. */
  | { ok: false; reason: string; unchecked?: true };

export interface CheckOptions {
  /**
   * Look up only key ids this replica knows to exist (the address is past its failure limit):
   * any other id is refused without touching the database.
   */
  knownKeysOnly?: boolean;
}

/**
 * Checks API keys: one primary-key lookup per key per second at most, the rest from memory.
 * Revocations and suspensions are broadcast to every replica; `last used` is remembered in
 * memory and written in batches, never by the request itself.
 *
 * Only keys that exist are cached. An id that is not in the database is never remembered, so a
 * flood of guessed ids cannot push valid keys out of the cache; each guessed id costs one
 * query, and the AuthGuard stops an address after AUTH_FAILURES_PER_ADDRESS failures a
 * minute, after which only ids of keys known to exist are looked up (`knownKeysOnly`).
 */
@Injectable()
export class KeyStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('KeyStore');
  private readonly cache = new Map<string, CacheEntry>();
  /** Lookups in flight: concurrent requests with one key wait for one query. */
  private readonly loading = new Map<string, Promise<KeyRow | null>>();
  /** Ids of keys that exist (whatever their state): loaded on start, then learned from lookups and broadcasts. */
  private readonly knownIds = new Set<string>();
  private readonly lastUsed = new Map<string, Date>();
  /** Bumped by every change: a lookup that began before a change does not cache what it read. */
  private generation = 0;
  private subscription?: Subscription;
  // A pass logs its own failure.
  private readonly flush = new PeriodicJob(this.logger, 'last-used times not saved', () => this.flushLastUsed());

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly keys: KeyStoreRepository,
    @InjectNats() private readonly nc: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.nc.subscribe(this.namespace.subject(GatewayBroadcasts.identityChanged), {
      callback: (error, msg) => {
        // Published plain, by a gateway: one a stream delivers or republishes here (with an
        // acknowledgement subject or the stream's headers) is not a broadcast of ours.
        if (error || msg.reply || msg.headers?.get('Nats-Stream')) return;
        try {
          this.forget(decodeJson(msg.data) as IdentityChanged);
        } catch {
          this.generation++;
          this.cache.clear();
        }
      },
    });
    this.flush.start(LAST_USED_FLUSH_MS);
    // The keys in use, most recently used first: a replica that has just started still serves
    // them to an address that is past its failure limit.
    for (const id of await this.unitOfWork.read(() => this.keys.usableIds(KNOWN_IDS_MAX))) this.remember(id);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush.stop();
    this.subscription?.unsubscribe();
    // What was used since the last pass.
    await this.flushLastUsed();
  }

  async check(token: string, options: CheckOptions = {}): Promise<KeyCheck> {
    const parsed = parseKey(token);
    if (!parsed) return { ok: false, reason: 'The API key is malformed: keys look like trv_<32 hex>_<43 characters>.' };
    if (options.knownKeysOnly && !this.knownIds.has(parsed.id)) return { ok: false, reason: 'The API key is not valid.', unchecked: true };
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
        access: row.access,
        ...(row.expires_at ? { keyExpiresAt: row.expires_at.getTime() } : {}),
        organization: {
          id: row.organization_id,
          name: row.org_name,
          kind: row.org_kind,
          status: row.org_status,
          statusReason: row.org_status_reason,
          contactEmail: row.org_contact_email,
          createdAt: row.org_created_at.toISOString(),
        },
      },
    };
  }

  /**
   * A key was just issued (call after its commit): every replica learns that it exists, so it
   * works at once even from an address that is past its failure limit.
   */
  issued(keyId: string): Promise<void> {
    return this.changed({ keyId });
  }

  /** Forgets here and tells every other replica to forget too. */
  async changed(change: IdentityChanged): Promise<void> {
    this.forget(change);
    this.nc.publish(this.namespace.subject(GatewayBroadcasts.identityChanged), encodeJson(change));
    await this.nc.flush().catch((error: Error) => this.logger.warn(`identity change not broadcast: ${error.message}`));
  }

  private forget(change: IdentityChanged): void {
    this.generation++;
    // A request from now on reads again: joining a lookup that began before the change served
    // a key revoked (or an organization suspended) after its revocation had been answered.
    this.loading.clear();
    if (change.keyId) {
      this.cache.delete(change.keyId);
      // Whatever changed about it, the key exists.
      this.remember(change.keyId);
    }
    if (change.organizationId) {
      for (const [id, entry] of this.cache) if (entry.row.organization_id === change.organizationId) this.cache.delete(id);
    }
  }

  private async row(id: string): Promise<KeyRow | null> {
    const cached = this.cache.get(id);
    if (cached && cached.until > Date.now()) return cached.row;
    const joined = this.loading.get(id);
    if (joined) return joined;
    // Only its own entry: a change may have put a newer lookup of the key in its place.
    const loading: Promise<KeyRow | null> = this.load(id).finally(() => {
      if (this.loading.get(id) === loading) this.loading.delete(id);
    });
    this.loading.set(id, loading);
    return loading;
  }

  private async load(id: string): Promise<KeyRow | null> {
    const generation = this.generation;
    const row = await this.unitOfWork.read(() => this.keys.findForCheck(id));
    if (!row) return null;
    if (generation === this.generation) {
      this.cache.delete(id);
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(id, { row, until: Date.now() + CACHE_TTL_MS });
    }
    this.remember(id);
    return row;
  }

  private remember(id: string): void {
    if (this.knownIds.has(id)) return;
    if (this.knownIds.size >= KNOWN_IDS_MAX) this.knownIds.delete(this.knownIds.values().next().value as string);
    this.knownIds.add(id);
  }

  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const entries = [...this.lastUsed];
    this.lastUsed.clear();
    try {
      await this.unitOfWork.run(() => this.keys.recordLastUsed(entries));
    } catch (error) {
      this.logger.warn(`last-used times not saved: ${(error as Error).message}`);
    }
  }
}
