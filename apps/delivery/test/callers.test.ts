import { DeliverySubjects, GatewayEvents, type EntitlementView } from '@trove/contracts';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { DeliveryHarness } from './delivery-harness';
import { ask, fetchRaw, manifest, paidLine, pay, publish, release, speechVersionFiles, uploadVersion, type HttpAnswer } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

/**
 * The gateway's events about callers, as delivery applies them: a revoked API key and a
 * suspended organization stop the download URLs signed for them before, and an organization's
 * older status arriving after a newer one changes nothing.
 */
describe('download URLs of revoked keys and suspended organizations', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const versionId = randomUUID();
  const organizationId = randomUUID();
  const buyer: Caller = { organizationId, role: 'buyer', keyId: randomUUID() };
  const colleague: Caller = { organizationId, role: 'buyer', keyId: randomUUID() };
  let entitlement: EntitlementView;

  const urlFor = async (caller: Caller) => (await manifest(h, entitlement.id, caller)).versions[0].files.find((f) => f.path === 'transcripts/train.jsonl')!.url;
  const code = (answer: HttpAnswer) => (answer.status === 200 ? 200 : `${answer.status} ${answer.json?.code}`);
  const answersWith = (url: string, expected: number | string) =>
    waitFor(`${url} answers ${expected}`, async () => code(await fetchRaw(url)) === expected, 15_000);
  const applied = (eventId: string) =>
    waitFor(`event ${eventId} applied`, () => withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [eventId])).rowCount === 1));
  const statusChanged = (status: 'active' | 'suspended', changedAt: Date) =>
    publish(h, GatewayEvents.organizationStatusChanged, { organizationId, status, changedAt: changedAt.toISOString() });

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    await uploadVersion(h, datasetId, versionId, speechVersionFiles('callers'));
    await release(h, datasetId, versionId, '1.0.0');
    const order = await pay(h, buyer, [paidLine(datasetId, [versionId], 'commercial')]);
    entitlement = await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId));
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('refuses a suspended organization, keeps the newest status whatever order the changes arrive in, and serves it again once reinstated', async () => {
    const url = await urlFor(buyer);
    expect(code(await fetchRaw(url))).toBe(200);

    const suspendedAt = new Date();
    await applied(await statusChanged('suspended', suspendedAt));
    const refused = await fetchRaw(url);
    expect({ status: refused.status, code: refused.json?.code, type: refused.headers['content-type'] }).toEqual({
      status: 403,
      code: 'ORGANIZATION_SUSPENDED',
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    await expect(manifest(h, entitlement.id, buyer)).rejects.toMatchObject({ code: 'ORGANIZATION_SUSPENDED' });

    // An approval made before the suspension, arriving after it (or delivered again): still suspended.
    await applied(await statusChanged('active', new Date(suspendedAt.getTime() - 60_000)));
    expect(code(await fetchRaw(url))).toBe('403 ORGANIZATION_SUSPENDED');
    const [row] = await withDatabase(h.db.url, async (c) => (await c.query(`SELECT status, changed_at FROM organization_status WHERE organization_id = $1`, [organizationId])).rows);
    expect(row).toEqual({ status: 'suspended', changed_at: suspendedAt });

    // Reinstated after the suspension: the same URL works again.
    await statusChanged('active', new Date(suspendedAt.getTime() + 1000));
    await answersWith(url, 200);
  });

  it('refuses every URL signed for a revoked API key, and its manifest, while another key of the organization keeps downloading', async () => {
    const url = await urlFor(buyer);
    const colleagues = await urlFor(colleague);
    expect(code(await fetchRaw(url))).toBe(200);

    await publish(h, GatewayEvents.apiKeyRevoked, { keyId: buyer.keyId, organizationId, revokedAt: new Date().toISOString() });
    await answersWith(url, '403 API_KEY_REVOKED');
    await expect(manifest(h, entitlement.id, buyer)).rejects.toMatchObject({ code: 'API_KEY_REVOKED' });
    expect(code(await fetchRaw(colleagues))).toBe(200);
    expect(code(await fetchRaw(await urlFor(colleague)))).toBe(200);
  });
});
