import type { IdentityChanged } from '@trove/contracts';
import type { Namespace, UnitOfWork } from '@trove/messaging';
import type { NatsConnection } from 'nats';
import { issueKey } from './api-key-token';
import { KeyStore } from './key-store';
import type { KeyRow, KeyStoreRepository } from './key-store.repository';

const NOW = Date.parse('2026-11-30T10:00:00Z');

/** A gateway's key store over a database that holds `keys`; it counts the lookups it is asked. */
async function keyStoreWith(keys: ReturnType<typeof issueKey>[], inUse: string[] = []) {
  const lookups: string[] = [];
  const broadcasts: IdentityChanged[] = [];
  const rows = new Map<string, KeyRow>(
    keys.map((key) => [
      key.id,
      {
        id: key.id,
        organization_id: '7a1c0000-0000-4000-8000-0000000000b1',
        secret_hash: key.secretHash,
        expires_at: null,
        revoked_at: null,
        access: 'full',
        org_name: '上海人工智能实验室 数据采购',
        org_kind: 'buyer',
        org_status: 'active',
        org_status_reason: null,
        org_contact_email: 'data@example.cn',
        org_created_at: new Date(NOW - 86_400_000),
      },
    ]),
  );
  /** Lookups wait here while it is set: what each read is what the database held when it began. */
  const held: { until?: Promise<void> } = {};
  const repository = {
    findForCheck: async (id: string) => {
      lookups.push(id);
      const row = rows.get(id) ?? null;
      await held.until;
      return row;
    },
    usableIds: async () => inUse,
    recordLastUsed: async () => undefined,
  } as unknown as KeyStoreRepository;
  const unitOfWork = { read: <T>(work: () => Promise<T>) => work(), run: <T>(work: () => Promise<T>) => work() } as unknown as UnitOfWork;
  const nc = {
    subscribe: () => ({ unsubscribe: () => undefined }),
    publish: (_subject: string, data: Uint8Array) => broadcasts.push(JSON.parse(Buffer.from(data).toString()) as IdentityChanged),
    flush: async () => undefined,
  } as unknown as NatsConnection;
  const store = new KeyStore(unitOfWork, repository, nc, { subject: (s: string) => s } as unknown as Namespace);
  await store.onApplicationBootstrap();
  return { store, lookups, broadcasts, rows, held };
}

const guessed = () => issueKey().token;

describe('KeyStore', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(async () => jest.restoreAllMocks());

  it('keeps a valid key cached through a flood of random keys bigger than the cache', async () => {
    const valid = issueKey();
    const { store, lookups } = await keyStoreWith([valid]);
    expect((await store.check(valid.token)).ok).toBe(true);
    for (let i = 0; i < 60_000; i++) expect((await store.check(guessed())).ok).toBe(false);
    const before = lookups.length;
    expect((await store.check(valid.token)).ok).toBe(true);
    expect(lookups.length).toBe(before);
    await store.onApplicationShutdown();
  });

  it('looks up only keys known to exist when asked to, and refuses the rest without a query', async () => {
    const inUse = issueKey();
    const neverSeen = issueKey();
    const { store, lookups } = await keyStoreWith([inUse, neverSeen], [inUse.id]);
    expect(await store.check(guessed(), { knownKeysOnly: true })).toMatchObject({ ok: false, unchecked: true });
    expect(await store.check(neverSeen.token, { knownKeysOnly: true })).toMatchObject({ ok: false, unchecked: true });
    expect(lookups).toEqual([]);
    // Loaded on start: a key in use is known without ever having been checked here.
    expect((await store.check(inUse.token, { knownKeysOnly: true })).ok).toBe(true);
    expect(lookups).toEqual([inUse.id]);
    // A key checked once is known from then on.
    expect((await store.check(neverSeen.token)).ok).toBe(true);
    expect((await store.check(neverSeen.token, { knownKeysOnly: true })).ok).toBe(true);
    await store.onApplicationShutdown();
  });

  it('learns of a key issued on any replica from the broadcast', async () => {
    const fresh = issueKey();
    const { store, broadcasts } = await keyStoreWith([fresh]);
    expect(await store.check(fresh.token, { knownKeysOnly: true })).toMatchObject({ ok: false, unchecked: true });
    await store.issued(fresh.id);
    expect(broadcasts).toEqual([{ keyId: fresh.id }]);
    expect((await store.check(fresh.token, { knownKeysOnly: true })).ok).toBe(true);
    await store.onApplicationShutdown();
  });

  it('never answers a request that comes after a revocation with a lookup that began before it', async () => {
    const valid = issueKey();
    const { store, lookups, rows, held } = await keyStoreWith([valid]);
    let release!: () => void;
    held.until = new Promise<void>((resolve) => (release = resolve));
    // A lookup begins, and reads the key as it is: not revoked yet.
    const before = store.check(valid.token);
    // The key is revoked and the revocation answered; then another request with it arrives.
    rows.set(valid.id, { ...rows.get(valid.id)!, revoked_at: new Date(NOW) });
    await store.changed({ keyId: valid.id });
    held.until = undefined;
    const after = store.check(valid.token);
    release();
    // The first was answered with what it read; the second read again, and is refused.
    expect((await before).ok).toBe(true);
    expect(await after).toMatchObject({ ok: false, reason: 'The API key has been revoked.' });
    expect(lookups).toEqual([valid.id, valid.id]);
    expect(await store.check(valid.token)).toMatchObject({ ok: false });
    await store.onApplicationShutdown();
  });

  it('sends one query for many requests with the same uncached key at once', async () => {
    const valid = issueKey();
    const { store, lookups } = await keyStoreWith([valid]);
    const checks = await Promise.all(Array.from({ length: 50 }, () => store.check(valid.token)));
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(lookups).toEqual([valid.id]);
    await store.onApplicationShutdown();
  });
});
