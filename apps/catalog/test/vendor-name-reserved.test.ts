import { CatalogSubjects } from '@trove/contracts';
import { RpcClient } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { VendorsService } from '../src/vendors/vendors.service';
import { withDatabase } from '../../../test/support/postgres';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * `catalog.vendor.name-reserved`, over NATS as the gateway asks it before it names a vendor
 * without a profile on a Croissant card by the name it signed up with: whether another vendor's
 * profile holds that name, compared as a profile's names are reserved (trimmed, NFKC-folded,
 * case-insensitive), counting only vendors an operator approved, and never the asker's own.
 */
jest.setTimeout(60_000);

describe('whether a sign-up name is one another vendor shows on its profile', () => {
  let catalog: CatalogModule;
  const vendor = (): Caller => ({ organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() });
  const aishell = vendor();
  const pending = vendor();
  const newcomer = vendor();

  const approve = (caller: Caller) =>
    withDatabase(catalog.db.url, (client) =>
      client.query(`INSERT INTO organization_standing (organization_id, status, changed_at, approved_at) VALUES ($1, 'active', now(), now())`, [caller.organizationId]),
    );
  const reserved = async (organizationId: string, name: string) =>
    (await catalog.moduleRef.get(RpcClient).send(CatalogSubjects.vendorNameReserved, { organizationId, name })).reserved;

  beforeAll(async () => {
    catalog = await startCatalogModule('vendor_name_reserved');
    await approve(aishell);
    await catalog.moduleRef.get(VendorsService).upsert(aishell, { displayNameZh: '希尔贝壳语音数据', displayNameEn: 'AISHELL Speech Data (demo)' });
    // Signed up, never approved: its profile reserves nothing.
    await catalog.moduleRef.get(VendorsService).upsert(pending, { displayNameZh: '未审核语音', displayNameEn: 'Unreviewed Voice Lab' });
  });
  afterAll(async () => {
    await catalog?.stop();
  });

  it("says yes for another approved vendor's profile name, in either language", async () => {
    expect(await reserved(newcomer.organizationId, 'AISHELL Speech Data (demo)')).toBe(true);
    expect(await reserved(newcomer.organizationId, '希尔贝壳语音数据')).toBe(true);
  });

  it('says yes for the name as a reader reads it: full-width, other case, NBSP or ideographic spaces, spaces around', async () => {
    for (const variant of ['ＡＩＳＨＥＬＬ　Ｓｐｅｅｃｈ　Ｄａｔａ　（ｄｅｍｏ）', 'aishell speech data (DEMO)', 'AISHELL\u00a0Speech\u00a0Data (demo)', '  AISHELL   Speech Data (demo) ', '希尔贝壳\u200b语音数据']) {
      expect({ variant, reserved: await reserved(newcomer.organizationId, variant) }).toEqual({ variant, reserved: true });
    }
  });

  it('says no for a free name, a near one, and a name only an unapproved vendor shows', async () => {
    for (const name of ['AISHELL Speech Data', '希尔贝壳', '数据堂 Datatang', 'Unreviewed Voice Lab']) {
      expect({ name, reserved: await reserved(newcomer.organizationId, name) }).toEqual({ name, reserved: false });
    }
  });

  it("says no for the asker's own profile names: they are not another vendor's", async () => {
    expect(await reserved(aishell.organizationId, 'AISHELL Speech Data (demo)')).toBe(false);
    expect(await reserved(aishell.organizationId, 'ａｉｓｈｅｌｌ speech data (demo)')).toBe(false);
    expect(await reserved(aishell.organizationId, '希尔贝壳语音数据')).toBe(false);
  });

  it('refuses a request without a name or with an id that is no UUID', async () => {
    const refused = (request: object) =>
      catalog.moduleRef
        .get(RpcClient)
        .send(CatalogSubjects.vendorNameReserved, request as never)
        .then(
          () => 'answered',
          (error: { code?: string }) => error.code,
        );
    expect(await refused({ organizationId: newcomer.organizationId, name: '' })).toBe('VALIDATION_FAILED');
    expect(await refused({ organizationId: 'aishell', name: 'AISHELL Speech Data (demo)' })).toBe('VALIDATION_FAILED');
  });
});
