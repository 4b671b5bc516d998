import { randomUUID } from 'node:crypto';
import { apiPost, recordUtterances } from '../support/delivery-flow';
import { speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

/**
 * A subscriber reads the manifest of a large corpus (30,000 files, 17 MB of JSON, many pages)
 * while its vendor releases a new version. Delivery adds the version to the subscription and
 * lists it after the others; the gateway, writing the manifest a page at a time, met a version
 * its first page had not named and cut the answer off: JSON that did not parse, for a routine
 * release. The manifest is now the entitlement as its first page found it, whole.
 */
jest.setTimeout(300_000);

describe('a manifest read while a version is released to the subscription', () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('answers the manifest whole, with the versions its first page named, and the next one has the new version', async () => {
    const vendor = await VendorClient.signUp(system, '数据堂 Datatang');
    const { dataset, version } = await vendor.listing(speechListing({ title: '普通话对话语音 3 万条（按月订阅）' }), { 'README.md': Buffer.from('# 普通话对话语音\n') });
    const monthly = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', {
      license: { template: 'research' },
      pricing: { model: 'subscription', price: { amount: 880_000, currency: 'CNY' }, period: 'month' },
    });
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);

    const signedUp = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name: '百川智能 Baichuan', kind: 'buyer', contactEmail: 'data@example.cn' }) }));
    const buyer = { key: signedUp.apiKey as string };
    const topUp = await json(await apiPost(system, '/v1/wallet/top-ups', buyer.key, { amount: { amount: 10_000_000, currency: 'CNY' }, reference: `CMB-${randomUUID().slice(0, 8)}` }));
    expect((await apiPost(system, `/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
    const order = await json(await apiPost(system, '/v1/orders', buyer.key, { items: [{ offerId: monthly.id }], acceptLicense: true }));
    const entitlement = await waitFor('the subscription granted', async () => {
      const listed = await json(await system.request('/v1/entitlements', { as: { key: buyer.key } }));
      return listed.items.find((item: { orderId: string }) => item.orderId === order.id);
    });
    const deliveryUrl = system.databases.get('delivery')!.url;
    await recordUtterances(deliveryUrl, { datasetId: dataset.id, versionId: version.id, vendorOrganizationId: vendor.organizationId }, 30_000);

    const response = await fetch(`${system.gateway.url}/v1/entitlements/${entitlement.id}/manifest`, { headers: { authorization: `Bearer ${buyer.key}` } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const chunks: Buffer[] = [Buffer.from((await reader.read()).value!)];

    // The release, while the rest of the manifest waits to be read.
    const next = await vendor.expect(201, `/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.1.0', changelog: '新增 500 条方言对话' });
    await vendor.upload(dataset.id, next.id, 'dialects/四川话.jsonl', Buffer.from('{"id":"utt_sc_0001","text":"要得"}\n'));
    await vendor.expect(200, `/v1/datasets/${dataset.id}/versions/${next.id}/release`, 'POST');
    await waitFor('the new version delivered to the subscription', () =>
      withDatabase(deliveryUrl, async (c) => (await c.query(`SELECT 1 FROM entitlement_version WHERE entitlement_id = $1 AND version_id = $2`, [entitlement.id, next.id])).rowCount === 1),
    );
    for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(Buffer.from(read.value));

    const manifest = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(manifest.versions.map((v: { id: string; files: unknown[] }) => [v.id, v.files.length])).toEqual([[version.id, 30_001]]);
    const again = await json(await system.request(`/v1/entitlements/${entitlement.id}/manifest`, { as: { key: buyer.key } }));
    expect(again.versions.map((v: { id: string; files: unknown[] }) => [v.id, v.files.length])).toEqual([
      [version.id, 30_001],
      [next.id, 1],
    ]);
  });
});
