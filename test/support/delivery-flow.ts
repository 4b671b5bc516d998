import { randomUUID } from 'node:crypto';
import { withDatabase } from './postgres';
import { waitFor } from './processes';
import { json, type TroveSystem } from './system';

export interface Buyer {
  key: string;
  organizationId: string;
}

/** A POST as a key or as the operator, with a fresh Idempotency-Key (every command route takes one). */
export function apiPost(system: TroveSystem, path: string, who: string | 'admin', body?: unknown): Promise<Response> {
  return system.request(path, { method: 'POST', ...(who === 'admin' ? {} : { as: { key: who } }), ...(body === undefined ? {} : { body: JSON.stringify(body) }), headers: { 'idempotency-key': randomUUID() } });
}

/** A buyer signed up, its wallet topped up and confirmed, and the offer bought: its entitlement's id, once the order is fulfilled. */
export async function buyerWithEntitlement(system: TroveSystem, name: string, offerId: string): Promise<{ buyer: Buyer; entitlementId: string }> {
  const signedUp = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'data@example.cn' }) }));
  const buyer: Buyer = { key: signedUp.apiKey, organizationId: signedUp.organization.id };
  const topUp = await json(await apiPost(system, '/v1/wallet/top-ups', buyer.key, { amount: { amount: 500_000_000, currency: 'CNY' }, reference: `CMB-${randomUUID().slice(0, 8)}` }));
  if ((await apiPost(system, `/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status !== 200) throw new Error(`top-up ${topUp.id} not confirmed`);
  const order = await json(await apiPost(system, '/v1/orders', buyer.key, { items: [{ offerId }], acceptLicense: true }));
  await waitFor('the order fulfilled', async () => (await json(await system.request(`/v1/orders/${order.id}`, { as: { key: buyer.key } }))).status === 'fulfilled', 60_000);
  const entitlement = (await json(await system.request('/v1/entitlements', { as: { key: buyer.key } }))).items.find((e: { orderId: string }) => e.orderId === order.id);
  return { buyer, entitlementId: entitlement.id as string };
}

/**
 * `count` files of a speech corpus, a file per utterance with long Chinese paths, recorded straight
 * into delivery's table (the catalog's list is not what a manifest reads): uploading them one by
 * one would take minutes. The version is released: its release's tally (what the catalog
 * released, which delivery's kept root must agree with) counts them too, as if the catalog had
 * released them, once delivery has the release.
 */
export async function recordUtterances(deliveryUrl: string, version: { datasetId: string; versionId: string; vendorOrganizationId: string }, count: number): Promise<void> {
  await waitFor('delivery to have the release', () =>
    withDatabase(deliveryUrl, async (c) => (await c.query(`SELECT 1 FROM released_version WHERE version_id = $1`, [version.versionId])).rowCount === 1),
  );
  await withDatabase(deliveryUrl, async (c) => {
    await c.query(
      `WITH recorded AS (
         INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $2::uuid,
                'audio/粤语/广州市/说话人_' || lpad((i % 97)::text, 3, '0') || '/录音_' || lpad(i::text, 6, '0') || '.wav',
                1000 + i, encode(sha256(i::text::bytea), 'hex'), $3, now()
           FROM generate_series(1, $4::int) AS i
         RETURNING size)
       UPDATE released_version r SET file_count = r.file_count + t.files, total_bytes = r.total_bytes + t.bytes
         FROM (SELECT count(*)::int AS files, sum(size) AS bytes FROM recorded) t
        WHERE r.version_id = $2 AND r.file_count IS NOT NULL`,
      [version.datasetId, version.versionId, version.vendorOrganizationId, count],
    );
    await c.query(`ANALYZE stored_object`);
  });
}
