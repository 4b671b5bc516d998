import { DeliverySubjects, OrderingEvents, type DiffFile, type DiffVersionsRequest, type EntitlementView, type VersionDiff } from '@trove/contracts';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { EntitlementsService } from '../src/entitlements/entitlements.service';
import { sortFiles } from '../src/manifests/merkle';
import { DeliveryHarness } from './delivery-harness';
import { ask, newBuyer, paidLine, pay, publish } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(180_000);

/** Files of each release of the corpus, written straight into the table as their uploads would record them. */
const FILES = 12_000;
/** What a NATS reply may hold (max_payload, 1 MiB by default). */
const MAX_PAYLOAD = 1024 * 1024;

type Diff = Omit<VersionDiff, 'nextCursor'>;

/**
 * `delivery.entitlement.diff` a page at a time: between two releases of a speech corpus whose
 * differences take more than a NATS reply, every page fits in one, and the pages walked in turn
 * are exactly the differences of the two versions, by path in byte order.
 */
describe('the diff of two versions of a large corpus, a page at a time', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const [v1, v2] = [randomUUID(), randomUUID()];
  const buyer = newBuyer();
  let entitlementId: string;
  let expected: Diff;

  const db = <T>(work: Parameters<typeof withDatabase<T>>[1]) => withDatabase(h.db.url, work);

  /**
   * The two releases: 1.1.0 drops every 7th recording of 1.0.0, re-transcodes every 5th (another
   * SHA-256), trims every 11th (another size), adds a re-recording beside every 13th and 1,500
   * recordings of new speakers at the end of the path order.
   */
  async function seed(): Promise<void> {
    const path = `'audio/粤语/广州市/天河区/客服通话/说话人_' || lpad((i % 97)::text, 3, '0') || '/通话录音_粤语普通话混合_' || lpad(i::text, 6, '0')`;
    await db(async (c) => {
      await c.query(
        `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $2::uuid, ${path} || '.wav',
                40000 + i, encode(sha256(i::text::bytea), 'hex'), 'vendor', now()
           FROM generate_series(1, $3::int) AS i`,
        [datasetId, v1, FILES],
      );
      await c.query(
        `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $2::uuid, ${path} || '.wav',
                40000 + i - CASE WHEN i % 11 = 0 THEN 1 ELSE 0 END,
                encode(sha256((CASE WHEN i % 5 = 0 THEN 'v1.1-' ELSE '' END || i::text)::bytea), 'hex'), 'vendor', now()
           FROM generate_series(1, $3::int) AS i WHERE i % 7 <> 0
         UNION ALL
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $2::uuid, ${path} || '_补录.wav',
                50000 + i, encode(sha256(('补录' || i)::bytea), 'hex'), 'vendor', now()
           FROM generate_series(13, $3::int, 13) AS i
         UNION ALL
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $2::uuid,
                'audio/粤语/广州市/天河区/新增说话人/通话录音_' || lpad(i::text, 6, '0') || '.wav', 60000 + i, encode(sha256(('新增' || i)::bytea), 'hex'), 'vendor', now()
           FROM generate_series(1, 1500) AS i`,
        [datasetId, v2, FILES],
      );
      await c.query(`ANALYZE stored_object`);
    });
  }

  /** The differences as docs/downloads.md defines them, from every file of both versions read here. */
  async function allDifferences(): Promise<Diff> {
    const filesOf = async (versionId: string) =>
      new Map(
        (await db(async (c) => (await c.query(`SELECT path, size, sha256 FROM stored_object WHERE version_id = $1 AND recorded_at IS NOT NULL`, [versionId])).rows)).map(
          (r: { path: string; size: string; sha256: string }) => [r.path, { path: r.path, size: Number(r.size), sha256: r.sha256 }] as [string, DiffFile],
        ),
      );
    const [before, after] = [await filesOf(v1), await filesOf(v2)];
    const diff: Diff = { from: v1, to: v2, added: [], removed: [], changed: [] };
    for (const [path, file] of after) {
      const old = before.get(path);
      if (!old) diff.added.push(file);
      else if (old.size !== file.size || old.sha256 !== file.sha256) diff.changed.push({ path, from: old, to: file });
    }
    for (const [path, file] of before) if (!after.has(path)) diff.removed.push(file);
    return { ...diff, added: sortFiles(diff.added), removed: sortFiles(diff.removed), changed: sortFiles(diff.changed) };
  }

  /** Every page in turn, as a buyer's tooling walks them, and the pages' sizes. */
  async function walk(take: (cursor?: string) => Promise<VersionDiff>): Promise<{ diff: Diff; pages: { entries: number; bytes: number }[] }> {
    const diff: Diff = { from: v1, to: v2, added: [], removed: [], changed: [] };
    const pages: { entries: number; bytes: number }[] = [];
    let cursor: string | undefined;
    do {
      const page = await take(cursor);
      expect(Object.keys(page).sort()).toEqual(['added', 'changed', 'from', 'nextCursor', 'removed', 'to']);
      expect({ from: page.from, to: page.to }).toEqual({ from: v1, to: v2 });
      diff.added.push(...page.added);
      diff.removed.push(...page.removed);
      diff.changed.push(...page.changed);
      pages.push({ entries: page.added.length + page.removed.length + page.changed.length, bytes: Buffer.byteLength(JSON.stringify(page)) });
      cursor = page.nextCursor ?? undefined;
      expect(pages.length).toBeLessThan(500);
    } while (cursor);
    return { diff, pages };
  }

  const overNats = (request: Partial<DiffVersionsRequest>) => (cursor?: string) =>
    ask(h, DeliverySubjects.diffVersions, { id: entitlementId, from: v1, to: v2, ...request, ...(cursor ? { cursor } : {}) }, buyer);

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    await seed();
    const order = await pay(h, buyer, [paidLine(datasetId, [v1, v2], 'commercial')]);
    entitlementId = (await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId))).id;
    expected = await allDifferences();
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('has differences whose whole answer is far over a NATS reply', () => {
    expect({ added: expected.added.length, removed: expected.removed.length, changed: expected.changed.length }).toEqual({ added: 923 + 1500, removed: 1714, changed: 2806 });
    expect(Buffer.byteLength(JSON.stringify(expected))).toBeGreaterThan(2 * MAX_PAYLOAD);
  });

  it.each([
    ['the default 500 entries a page', {}, 500],
    ['1,000 entries a page', { limit: 1000 }, 1000],
    ['37 entries a page', { limit: 37 }, 37],
  ])('answers, with %s over NATS, pages that each fit in a reply and together are exactly the differences', async (_name, request, limit) => {
    const { diff, pages } = await walk(overNats(request));
    expect(diff).toEqual(expected);
    for (const [i, page] of pages.entries()) {
      expect({ page: i, entries: page.entries <= limit, bytes: page.bytes < 600 * 1024 }).toEqual({ page: i, entries: true, bytes: true });
    }
    // Full pages but the last: a page holds `limit` entries, or as many as fit in its bytes.
    const entries = expected.added.length + expected.removed.length + expected.changed.length;
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(entries / limit) + Math.ceil(Buffer.byteLength(JSON.stringify(expected)) / (400 * 1024)) + 1);
  });

  it('gives the same differences when pages are cut by their bytes, and by a run of unchanged files that ends a page with none', async () => {
    const service = h.app.get(EntitlementsService);
    const { diff, pages } = await walk((cursor) => service.diffPage({ id: entitlementId, from: v1, to: v2, limit: 1000, ...(cursor ? { cursor } : {}) }, buyer, { pageBytes: 24 * 1024, walk: 400, windowRows: 200 }));
    expect(diff).toEqual(expected);
    expect(pages.every((page) => page.bytes < 26 * 1024)).toBe(true);

    // Two releases alike but for their last file: the pages before it go through the files and list none.
    const [same1, same2] = [randomUUID(), randomUUID()];
    await db((c) =>
      c.query(
        `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, v, 'transcripts/会话_' || lpad(i::text, 5, '0') || '.jsonl',
                100 + i + CASE WHEN v = $3::uuid AND i = 3000 THEN 1 ELSE 0 END, encode(sha256(i::text::bytea), 'hex'), 'vendor', now()
           FROM generate_series(1, 3000) AS i, unnest(ARRAY[$2::uuid, $3::uuid]) AS v`,
        [datasetId, same1, same2],
      ),
    );
    const order = await pay(h, buyer, [paidLine(datasetId, [same1, same2], 'commercial')]);
    const alike = (await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId))).id;
    const answers: VersionDiff[] = [];
    let cursor: string | undefined;
    do {
      const page: VersionDiff = await service.diffPage({ id: alike, from: same1, to: same2, ...(cursor ? { cursor } : {}) }, buyer, { walk: 1000, windowRows: 500 });
      answers.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(answers.map((page) => page.changed.map((c) => c.path))).toEqual([[], [], ['transcripts/会话_03000.jsonl']]);
  });

  it('reads each window of the two versions by its index from the cursor on, and sorts only the window', async () => {
    const statements: { sql: string; parameters: unknown[] }[] = [];
    const original = PostgresQueryRunner.prototype.query;
    PostgresQueryRunner.prototype.query = async function (this: PostgresQueryRunner, sql: string, parameters?: unknown[], structured?: boolean) {
      if (/FULL JOIN/.test(sql)) statements.push({ sql, parameters: parameters ?? [] });
      return original.call(this, sql, parameters, structured) as never;
    } as typeof PostgresQueryRunner.prototype.query;
    try {
      await walk(overNats({ limit: 1000 }));
    } finally {
      PostgresQueryRunner.prototype.query = original;
    }
    expect(statements.length).toBeGreaterThan(4);
    interface PlanNode {
      'Node Type': string;
      'Relation Name'?: string;
      'Index Name'?: string;
      'Actual Rows': number;
      Plans?: PlanNode[];
    }
    const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
    for (const statement of statements) {
      const [{ 'QUERY PLAN': [plan] }] = await db(async (c) => (await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.sql}`, statement.parameters)).rows);
      const all = nodes(plan.Plan as PlanNode);
      const windowRows = statement.parameters[3] as number;
      // Each version is one range of the (dataset, version, path) index, stopped at the window's
      // rows and the one after, which says whether the version goes on.
      const scans = all.filter((node) => node['Relation Name'] === 'stored_object').map((node) => ({ type: node['Node Type'], index: node['Index Name'], within: node['Actual Rows'] <= windowRows + 1 }));
      expect(scans).toEqual([
        { type: 'Index Scan', index: 'stored_object_manifest_idx', within: true },
        { type: 'Index Scan', index: 'stored_object_manifest_idx', within: true },
      ]);
      // A sort, where there is one, holds a window's rows, never a version's.
      for (const sort of all.filter((node) => node['Node Type'] === 'Sort')) expect(sort['Actual Rows']).toBeLessThanOrEqual(2 * (windowRows + 1));
    }
  });

  it('refuses a cursor it did not give, or gave another diff, with 400 VALIDATION_FAILED naming cursor, and a limit outside 1..1000', async () => {
    const first = await overNats({ limit: 10 })();
    expect(first.nextCursor).toEqual(expect.any(String));
    // A NUL, a path longer than a path may be, bytes that are not UTF-8, a character base64url has not, empty.
    const refused = ['AA', Buffer.from('录'.repeat(200)).toString('base64url'), '_w', `${first.nextCursor}*`, ''];
    // A path written by hand (as cursors were before they named their diff), and the cursor of
    // the same two versions the other way round: each would start this diff in the middle.
    refused.push(Buffer.from('README.md', 'utf8').toString('base64url'));
    const reversed = await overNats({ limit: 10, from: v2, to: v1 })();
    expect(reversed.nextCursor).toEqual(expect.any(String));
    refused.push(reversed.nextCursor!);
    for (const cursor of refused) {
      await expect(ask(h, DeliverySubjects.diffVersions, { id: entitlementId, from: v1, to: v2, cursor }, buyer)).rejects.toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [expect.objectContaining({ field: 'cursor' })],
      });
    }
    for (const limit of [0, 1001]) {
      await expect(ask(h, DeliverySubjects.diffVersions, { id: entitlementId, from: v1, to: v2, limit }, buyer)).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
  });

  it('checks the entitlement on every page: a refund between two pages ends the walk with 403 ENTITLEMENT_REVOKED, an uncovered version is 404', async () => {
    const other = newBuyer();
    const order = await pay(h, other, [paidLine(datasetId, [v1, v2], 'commercial')]);
    const id = (await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, other)).items.find((e: EntitlementView) => e.orderId === order.orderId))).id;
    const first = await ask(h, DeliverySubjects.diffVersions, { id, from: v1, to: v2 }, other);
    await expect(ask(h, DeliverySubjects.diffVersions, { id, from: v1, to: randomUUID(), cursor: first.nextCursor! }, other)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Another buyer's entitlement is not found either, whatever the cursor.
    await expect(ask(h, DeliverySubjects.diffVersions, { id, from: v1, to: v2, cursor: first.nextCursor! }, buyer as Caller)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await publish(h, OrderingEvents.orderRefunded, { orderId: order.orderId });
    await waitFor('the refund applied', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, other)).items.find((e: EntitlementView) => e.id === id)?.status === 'revoked');
    await expect(ask(h, DeliverySubjects.diffVersions, { id, from: v1, to: v2, cursor: first.nextCursor! }, other)).rejects.toMatchObject({ status: 403, code: 'ENTITLEMENT_REVOKED' });
  });
});
