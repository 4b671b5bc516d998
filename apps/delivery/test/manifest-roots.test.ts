import { addManifestPage, CatalogEvents, DeliverySubjects, manifestOfFirstPage, type EntitlementView, type Manifest, type ManifestPage } from '@trove/contracts';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Caller } from '@trove/platform';
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { DeliveryConfig } from '../src/delivery.config';
import { downloadGrant, downloadUrl } from '../src/downloads/download-ticket';
import { EntitlementsService } from '../src/entitlements/entitlements.service';
import { ManifestSigner } from '../src/manifests/manifest-signer';
import { merkleRoot, rootStatement, sortFiles } from '../src/manifests/merkle';
import { UrlSigner } from '../src/signing/url-signer';
import { DeliveryHarness } from './delivery-harness';
import { ask, newBuyer, paidLine, pay, publish, release, uploadVersion } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(180_000);

/** Files a version of a speech corpus holds, written straight into the table as its uploads would record them. */
const UTTERANCES = 6000;

interface Statement {
  sql: string;
  parameters: unknown[];
  rows: number;
}

/**
 * Every statement delivery sends that reads stored_object (its files), with the rows it answered:
 * the statement log a manifest is judged by.
 */
class FileReads {
  statements: Statement[] = [];
  private readonly original = PostgresQueryRunner.prototype.query;

  start(): void {
    const original = this.original;
    const statements = this.statements;
    PostgresQueryRunner.prototype.query = async function (this: PostgresQueryRunner, sql: string, parameters?: unknown[], structured?: boolean) {
      const result: unknown = await original.call(this, sql, parameters, structured);
      if (/FROM stored_object/.test(sql) && /^\s*SELECT/i.test(sql)) {
        const rows = Array.isArray(result) ? result.length : ((result as { records?: unknown[] }).records?.length ?? 0);
        statements.push({ sql, parameters: parameters ?? [], rows });
      }
      return result as never;
    } as typeof PostgresQueryRunner.prototype.query;
  }

  stop(): void {
    PostgresQueryRunner.prototype.query = this.original;
  }

  /** Rows answered by the statements since `from`. */
  rowsSince(from: number): number {
    return this.statements.slice(from).reduce((n, s) => n + s.rows, 0);
  }
}

/**
 * The Merkle root of a released version is computed once and kept: a manifest of a large corpus
 * then reads the files of its pages and nothing more, and answers exactly what it answered when
 * it read every file for the roots.
 */
describe('manifest roots of released versions', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const reads = new FileReads();

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    reads.start();
  });
  afterAll(async () => {
    reads.stop();
    await h?.stop();
    await storage?.stop();
  });

  const db = <T>(work: Parameters<typeof withDatabase<T>>[1]) => withDatabase(h.db.url, work);
  const keptRoots = (versionIds: string[]) =>
    db(async (c) => (await c.query(`SELECT version_id, root, file_count FROM version_root WHERE version_id = ANY($1::uuid[]) ORDER BY version_id`, [versionIds])).rows);

  async function insertUtterances(datasetId: string, versionId: string, count: number): Promise<void> {
    await db((c) =>
      c.query(
        `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $2::uuid,
                'audio/粤语/广州市/说话人_' || lpad((i % 97)::text, 3, '0') || '/录音_' || lpad(i::text, 5, '0') || '.wav',
                1000 + i, encode(sha256((i::text || $2)::bytea), 'hex'), 'vendor', now()
           FROM generate_series(1, $3::int) AS i`,
        [datasetId, versionId, count],
      ),
    );
    await db((c) => c.query(`ANALYZE stored_object`));
  }

  async function entitlementOf(buyer: Caller, datasetId: string, versionIds: string[]): Promise<string> {
    const order = await pay(h, buyer, [paidLine(datasetId, versionIds, 'commercial')]);
    return (await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId))).id;
  }

  async function released(datasetId: string, versionId: string): Promise<void> {
    await release(h, datasetId, versionId, `1.0.${versionId.slice(0, 4)}`);
    await waitFor('the release recorded', () => db(async (c) => (await c.query(`SELECT 1 FROM released_version WHERE version_id = $1`, [versionId])).rowCount === 1));
  }

  /** The whole manifest at `now`, walked page by page as the gateway walks it, with the rows each page read. */
  async function walk(app: NestFastifyApplication, id: string, buyer: Caller, now: number): Promise<{ manifest: Manifest; pages: { files: number; rowsRead: number }[] }> {
    const service = app.get(EntitlementsService);
    const pages: { files: number; rowsRead: number }[] = [];
    const take = async (cursor?: string) => {
      const from = reads.statements.length;
      const page: ManifestPage = await service.manifestFor(id, buyer, { now, ...(cursor ? { cursor } : {}) });
      pages.push({ files: page.versions.reduce((n, v) => n + v.files.length, 0), rowsRead: reads.rowsSince(from) });
      return page;
    };
    let page = await take();
    const manifest = manifestOfFirstPage(page);
    while (page.nextCursor) {
      page = await take(page.nextCursor);
      addManifestPage(manifest, page);
    }
    return { manifest, pages };
  }

  /**
   * The manifest as docs/downloads.md defines it, from every recorded file read here: what a
   * manifest answered when its first page read every file for the roots.
   */
  async function expectedManifest(datasetId: string, entitlementId: string, versionIds: string[], buyer: Caller, now: number): Promise<Manifest> {
    const signer = h.app.get(UrlSigner);
    const manifestSigner = h.app.get(ManifestSigner);
    const base = h.app.get(DeliveryConfig).publicUrl();
    const expires = Math.floor(now / 1000) + h.app.get(DeliveryConfig).DOWNLOAD_URL_TTL_SECONDS;
    const labels = new Map(
      (await db(async (c) => (await c.query(`SELECT version_id, version FROM released_version WHERE version_id = ANY($1::uuid[])`, [versionIds])).rows)).map((r) => [r.version_id, r.version]),
    );
    const versions = [];
    for (const versionId of versionIds) {
      const rows: { path: string; size: string; sha256: string }[] = await db(
        async (c) => (await c.query(`SELECT path, size, sha256 FROM stored_object WHERE target = 'version-file' AND version_id = $1 AND recorded_at IS NOT NULL`, [versionId])).rows,
      );
      const files = sortFiles(rows.map((r) => ({ path: r.path, size: Number(r.size), sha256: r.sha256 })));
      const root = merkleRoot(files);
      versions.push({
        id: versionId,
        version: labels.get(versionId) ?? versionId,
        files: files.map((f) => {
          const ticket = { entitlementId, versionId, path: f.path, caller: { organizationId: buyer.organizationId, keyId: buyer.keyId }, expires };
          return { ...f, url: downloadUrl(base, ticket, signer.sign(downloadGrant(ticket))), expiresAt: new Date(expires * 1000).toISOString() };
        }),
        root,
        rootSignature: manifestSigner.sign(datasetId, versionId, root),
      });
    }
    return { datasetId, entitlementId, versions };
  }

  /** What a buyer checks with nothing but the manifest: the root of the files listed, and its Ed25519 signature under the public key given. */
  function expectVerifies(manifest: Manifest): void {
    for (const version of manifest.versions) {
      expect(merkleRoot(version.files)).toBe(version.root);
      const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(version.rootSignature.publicKey, 'base64')]);
      const signed = verify(null, Buffer.from(rootStatement(manifest.datasetId, version.id, version.root)), createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(version.rootSignature.sig, 'base64'));
      expect({ version: version.id, signed }).toEqual({ version: version.id, signed: true });
    }
  }

  describe('a subscription to a corpus of two released versions of thousands of files', () => {
    const datasetId = randomUUID();
    const [v1, v2] = [randomUUID(), randomUUID()];
    const buyer = newBuyer();
    let entitlementId: string;

    beforeAll(async () => {
      for (const versionId of [v1, v2]) {
        await uploadVersion(h, datasetId, versionId, [
          { path: 'README.md', bytes: Buffer.from(`# 粤语方言语音 ${versionId}\n`) },
          { path: 'zz/最后/metadata.jsonl', bytes: Buffer.from(`{"version":"${versionId}"}\n`) },
        ]);
        await insertUtterances(datasetId, versionId, UTTERANCES);
        await released(datasetId, versionId);
      }
      entitlementId = await entitlementOf(buyer, datasetId, [v1, v2]);
    });

    it('keeps each root the first time, and answers the same manifest, every file once under a root that verifies, before and after', async () => {
      expect(await keptRoots([v1, v2])).toEqual([]);
      const now = Date.now();
      // In the order the entitlement covers them.
      const covered: string[] = (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.id === entitlementId)!.versionIds;
      expect([...covered].sort()).toEqual([v1, v2].sort());
      const expected = await expectedManifest(datasetId, entitlementId, covered, buyer, now);

      const first = await walk(h.app, entitlementId, buyer, now);
      expect(first.manifest).toEqual(expected);
      expect(first.manifest.versions.map((v) => v.files.length)).toEqual([UTTERANCES + 2, UTTERANCES + 2]);
      expectVerifies(first.manifest);
      expect(await keptRoots([v1, v2])).toEqual(
        [v1, v2].sort().map((id) => ({ version_id: id, root: expected.versions.find((v) => v.id === id)!.root, file_count: UTTERANCES + 2 })),
      );

      const again = await walk(h.app, entitlementId, buyer, now);
      expect(again.manifest).toEqual(expected);
    });

    it('reads, for each page of a later manifest, about the files of that page and never every file', async () => {
      await walk(h.app, entitlementId, buyer, Date.now());
      expect((await keptRoots([v1, v2])).length).toBe(2);

      const { pages } = await walk(h.app, entitlementId, buyer, Date.now());
      const files = 2 * (UTTERANCES + 2);
      expect(pages.length).toBeGreaterThan(4);
      expect(pages.reduce((n, p) => n + p.files, 0)).toBe(files);
      for (const [i, page] of pages.entries()) {
        // A read asks for what is left of the page at the entries' size so far, a row more, so
        // a page reads its own files, the one that did not fit, and a guess's worth at most.
        expect({ page: i, rowsRead: page.rowsRead <= page.files * 1.5 + 4 }).toEqual({ page: i, rowsRead: true });
      }
      expect(pages.reduce((n, p) => n + p.rowsRead, 0)).toBeLessThan(files * 1.5);
    });

    it('reads each page by its index from the cursor on: no statement of a manifest scans rows it does not answer', async () => {
      const from = reads.statements.length;
      await walk(h.app, entitlementId, buyer, Date.now());
      const statements = reads.statements.slice(from);
      expect(statements.length).toBeGreaterThan(4);
      for (const statement of statements) {
        const [{ 'QUERY PLAN': [plan] }] = await db(async (c) => (await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.sql}`, statement.parameters)).rows);
        const scanned = rowsScanned(plan.Plan);
        // Each read stops at its LIMIT: the rows it answers, and none it had to skip or sort.
        expect({ sql: statement.sql, parameters: statement.parameters, scanned }).toEqual({ sql: statement.sql, parameters: statement.parameters, scanned: statement.rows });
      }
    });
  });

  describe('a version whose files can still change', () => {
    const datasetId = randomUUID();
    const buyer = newBuyer();

    it('is never kept while it is not released: each manifest has the root of the files it lists', async () => {
      const draft = randomUUID();
      await uploadVersion(h, datasetId, draft, [{ path: 'README.md', bytes: Buffer.from('# draft') }]);
      const id = await entitlementOf(buyer, datasetId, [draft]);
      const before = (await walk(h.app, id, buyer, Date.now())).manifest;
      expectVerifies(before);
      expect(await keptRoots([draft])).toEqual([]);

      await uploadVersion(h, datasetId, draft, [{ path: 'audio/0001.wav', bytes: Buffer.from('RIFF') }]);
      const after = (await walk(h.app, id, buyer, Date.now())).manifest;
      expectVerifies(after);
      expect(after.versions[0].files.map((f) => f.path)).toEqual(['README.md', 'audio/0001.wav']);
      expect(after.versions[0].root).not.toBe(before.versions[0].root);
      expect(await keptRoots([draft])).toEqual([]);
    });

    it('is not kept while an upload to it waits for catalog, though released; it is kept once that upload is recorded', async () => {
      const versionId = randomUUID();
      await uploadVersion(h, datasetId, versionId, [{ path: 'README.md', bytes: Buffer.from('# 1.0') }]);
      // An upload catalog accepted before the release, whose row delivery has not marked recorded yet.
      const pending = `datasets/${datasetId}/${randomUUID()}`;
      await db((c) =>
        c.query(
          `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
           VALUES ($1, 'version-file', $2, $3, 'audio/late.wav', 4, encode(sha256('RIFF'::bytea), 'hex'), 'vendor', NULL)`,
          [pending, datasetId, versionId],
        ),
      );
      await released(datasetId, versionId);
      const id = await entitlementOf(buyer, datasetId, [versionId]);
      const before = (await walk(h.app, id, buyer, Date.now())).manifest;
      expect(before.versions[0].files.map((f) => f.path)).toEqual(['README.md']);
      expectVerifies(before);
      expect(await keptRoots([versionId])).toEqual([]);

      await db((c) => c.query(`UPDATE stored_object SET recorded_at = now() WHERE key = $1`, [pending]));
      const after = (await walk(h.app, id, buyer, Date.now())).manifest;
      expect(after.versions[0].files.map((f) => f.path)).toEqual(['README.md', 'audio/late.wav']);
      expectVerifies(after);
      expect(await keptRoots([versionId])).toEqual([{ version_id: versionId, root: after.versions[0].root, file_count: 2 }]);
    });
  });

  it('is not kept while a file the catalog removed before the release is still recorded here, and is kept without it once the removal arrives', async () => {
    const datasetId = randomUUID();
    const versionId = randomUUID();
    const buyer = newBuyer();
    await uploadVersion(h, datasetId, versionId, [
      { path: 'audio/utt_000002.wav', bytes: Buffer.from('RIFF0002') },
      { path: 'audio/.DS_Store', bytes: Buffer.from('Bud1') },
    ]);
    const junk = (await h.rows(datasetId)).find((row) => row.path === 'audio/.DS_Store')!;
    // The catalog removed .DS_Store and released the one file left (8 bytes); the release's event is applied first.
    await publish(h, CatalogEvents.versionReleased, { datasetId, versionId, version: '1.1.0', releasedAt: new Date().toISOString(), fileCount: 1, totalBytes: 8 });
    await waitFor('the release recorded', () => db(async (c) => (await c.query(`SELECT 1 FROM released_version WHERE version_id = $1`, [versionId])).rowCount === 1));
    const id = await entitlementOf(buyer, datasetId, [versionId]);
    const before = (await walk(h.app, id, buyer, Date.now())).manifest;
    expect(before.versions[0].files.map((f) => f.path)).toEqual(['audio/.DS_Store', 'audio/utt_000002.wav']);
    expectVerifies(before);
    expect(await keptRoots([versionId])).toEqual([]);

    await publish(h, CatalogEvents.objectUnlisted, { target: 'version-file', datasetId, versionId, path: 'audio/.DS_Store', storageKey: junk.key });
    await waitFor('the removal applied', async () => (await h.rows(datasetId)).length === 1);
    const after = (await walk(h.app, id, buyer, Date.now())).manifest;
    expect(after.versions[0].files.map((f) => f.path)).toEqual(['audio/utt_000002.wav']);
    expectVerifies(after);
    expect(await keptRoots([versionId])).toEqual([{ version_id: versionId, root: after.versions[0].root, file_count: 1 }]);
  });

  it('keeps one root when two replicas compute it at once, and both answer it', async () => {
    const datasetId = randomUUID();
    const versionId = randomUUID();
    const buyer = newBuyer();
    await uploadVersion(h, datasetId, versionId, [{ path: 'README.md', bytes: Buffer.from('# 2.0') }]);
    await insertUtterances(datasetId, versionId, 3000);
    await released(datasetId, versionId);
    const id = await entitlementOf(buyer, datasetId, [versionId]);
    const replica = await h.replica();
    const now = Date.now();

    const [one, two] = await Promise.all([h.app, replica.app].map((app) => app.get(EntitlementsService).manifestFor(id, buyer, { now })));
    expect(one.versions[0].root).toBe(two.versions[0].root);
    expect(await keptRoots([versionId])).toEqual([{ version_id: versionId, root: one.versions[0].root, file_count: 3001 }]);
    expectVerifies((await walk(replica.app, id, buyer, now)).manifest);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows the plan's scans of stored_object went through: those they passed up and those their filters dropped. */
function rowsScanned(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'stored_object' && /Scan/.test(node['Node Type'])
      ? node['Actual Rows'] * node['Actual Loops'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)
      : 0;
  return own + (node.Plans ?? []).reduce((n, child) => n + rowsScanned(child), 0);
}
