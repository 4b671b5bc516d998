import { withDatabase } from '../../../test/support/postgres';
import { StatusAnnouncer } from '../src/identity/status-announcer';
import { GatewayHarness, HARNESS_START_TIMEOUT_MS } from './gateway-harness';

jest.setTimeout(60_000);

const DAY = 24 * 3600 * 1000;

/**
 * The event stream keeps 7 days of events, so a service that starts reading it later (a
 * consumer added in a new release, a service whose database was rebuilt) would never learn of a
 * suspension made before that. The gateway announces every suspension in force again, with the
 * time it was made, 3 days after its last announcement (SUSPENSION_REANNOUNCE_AFTER_MS).
 */
describe('suspensions announced again before they leave the event stream', () => {
  let harness: GatewayHarness;
  let announcer: StatusAnnouncer;

  beforeAll(async () => {
    harness = await GatewayHarness.start();
    announcer = harness.app.get(StatusAnnouncer);
  }, HARNESS_START_TIMEOUT_MS);

  afterAll(async () => {
    await harness?.stop();
  });

  const query = <T>(text: string, values: unknown[] = []) => withDatabase(harness.gatewayDb.url, async (c) => (await c.query(text, values)).rows as T[]);
  const statusEvents = (organizationId: string) =>
    query<{ status: string; changedAt: string }>(
      `SELECT payload->>'status' AS status, payload->>'changedAt' AS "changedAt" FROM outbox
        WHERE subject = 'evt.gateway.organization.status-changed.v1' AND payload->>'organizationId' = $1 ORDER BY seq`,
      [organizationId],
    );
  const signUp = async (name: string, kind: 'buyer' | 'vendor') =>
    (await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name, kind, contactEmail: 'ops@example.cn' } })).body.organization.id as string;
  const admin = async (organizationId: string, action: 'suspend' | 'approve') => {
    const answer = await harness.inject({ method: 'POST', url: `/v1/admin/organizations/${organizationId}/${action}`, key: harness.adminKey });
    expect(answer.status).toBe(200);
  };

  it('announces a suspension in force again with the time it was made, once per period, and never one that was lifted', async () => {
    const vendor = await signUp('数据堂 Datatang 北京', 'vendor');
    const buyer = await signUp('某自动驾驶公司 数据采购部', 'buyer');
    const lifted = await signUp('上海话语音采集工作室', 'vendor');
    await admin(vendor, 'approve');
    await admin(vendor, 'suspend');
    await admin(buyer, 'suspend');
    await admin(lifted, 'approve');
    await admin(lifted, 'suspend');
    await admin(lifted, 'approve');
    const [suspendedAt] = (await statusEvents(vendor)).filter((e) => e.status === 'suspended').map((e) => e.changedAt);
    expect((await statusEvents(vendor)).map((e) => e.status)).toEqual(['active', 'suspended']);

    // Just announced by the change itself: nothing is due yet.
    const now = Date.now();
    expect(await announcer.announceDue(new Date(now + DAY))).toBe(0);

    // Three days on: each suspension in force once more, as it was made; the lifted one not.
    expect(await announcer.announceDue(new Date(now + 3 * DAY + 60_000))).toBe(2);
    expect(await statusEvents(vendor)).toEqual([
      { status: 'active', changedAt: expect.any(String) },
      { status: 'suspended', changedAt: suspendedAt },
      { status: 'suspended', changedAt: suspendedAt },
    ]);
    expect((await statusEvents(buyer)).map((e) => e.status)).toEqual(['suspended', 'suspended']);
    expect((await statusEvents(lifted)).map((e) => e.status)).toEqual(['active', 'suspended', 'active']);
    // Announced, so not again until the next period.
    expect(await announcer.announceDue(new Date(now + 3 * DAY + 120_000))).toBe(0);
    expect(await announcer.announceDue(new Date(now + 6 * DAY + 120_000))).toBe(2);

    // Reinstated: no longer announced; the reinstatement is itself the newest announcement.
    await admin(vendor, 'approve');
    expect(await announcer.announceDue(new Date(now + 20 * DAY))).toBe(1);
    expect((await statusEvents(vendor)).map((e) => e.status)).toEqual(['active', 'suspended', 'suspended', 'suspended', 'active']);
  });

  it("answers the audit trail of one organization with ?target=, and nothing of the others", async () => {
    const signedUp = (await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name: '海天瑞声 SpeechOcean', kind: 'vendor', contactEmail: 'ops@example.cn' } })).body;
    const first = signedUp.organization.id as string;
    const second = await signUp('标贝科技 DataBaker', 'vendor');
    await admin(first, 'approve');
    await admin(second, 'approve');
    // A change of the vendor's own organization, whose path names no id, is on its trail too.
    expect((await harness.inject({ method: 'PUT', url: '/v1/vendor/profile', key: signedUp.apiKey, body: { displayNameZh: '海天瑞声', displayNameEn: 'SpeechOcean' } })).status).toBe(200);
    await admin(first, 'suspend');
    const trail = await harness.inject({ method: 'GET', url: `/v1/admin/audit?target=${first}&limit=100`, key: harness.adminKey });
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((e: { action: string; target: { id: string } }) => [e.action, e.target.id])).toEqual([
      ['organization.suspend', first],
      ['vendor.profile.update', first],
      ['organization.approve', first],
      ['organization.sign-up', first],
    ]);
    // Actions of three parts are asked for like those of two.
    expect((await harness.inject({ method: 'GET', url: '/v1/admin/audit?action=vendor.profile.update', key: harness.adminKey })).status).toBe(200);
    const bad = await harness.inject({ method: 'GET', url: '/v1/admin/audit?target=not-an-id', key: harness.adminKey });
    expect({ status: bad.status, fields: bad.body.errors.map((e: { field: string }) => e.field) }).toEqual({ status: 400, fields: ['target'] });
  });
});
