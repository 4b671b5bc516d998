import { AuditEvents, type AuditRecordedV1 } from '@trove/contracts';
import { encodeJson, Namespace } from '@trove/messaging';
import { MetricsService } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { connectNats } from '../../../test/support/nats';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { GatewayHarness, HARNESS_START_TIMEOUT_MS } from './gateway-harness';

jest.setTimeout(60_000);

/**
 * A change the gateway makes and its audit record commit together or not at all. Failures are
 * made by the database itself: a trigger that refuses one kind of row.
 */
describe('a state change and its audit record', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await GatewayHarness.start();
  }, HARNESS_START_TIMEOUT_MS);

  afterAll(async () => {
    await harness?.stop();
  });

  const sql = (text: string, params: unknown[] = []) => withDatabase(harness.gatewayDb.url, async (client) => (await client.query(text, params)).rows);
  const signUpVendor = async (name: string) =>
    (await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name, kind: 'vendor', contactEmail: 'bd@example.cn' } })).body.organization.id as string;
  const statusOf = async (id: string) => (await sql(`SELECT status FROM organization WHERE id = $1`, [id]))[0].status as string;
  const auditOf = async (targetId: string) =>
    (await sql(`SELECT action, outcome, status, actor_role FROM audit_event WHERE target_id = $1 ORDER BY at`, [targetId])) as { action: string; outcome: string; status: number; actor_role: string | null }[];

  /** How many audit events from the catalog the gateway handled with this outcome. */
  async function handled(outcome: string): Promise<number> {
    const metric = await harness.app.get(MetricsService).eventDuration.get();
    const found = metric.values.find(
      (v) => v.metricName?.endsWith('_count') && v.labels.subject === AuditEvents.recorded.catalog.subject && v.labels.outcome === outcome,
    );
    return found?.value ?? 0;
  }

  /** Makes the database refuse rows of `table` matching `condition`, for one test. */
  async function refuse(table: string, condition: string, work: () => Promise<void>): Promise<void> {
    await sql(`CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
    await sql(`CREATE TRIGGER refuse_for_test BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW WHEN (${condition}) EXECUTE FUNCTION refuse_for_test()`);
    try {
      await work();
    } finally {
      await sql(`DROP TRIGGER refuse_for_test ON ${table}`);
      await sql(`DROP FUNCTION refuse_for_test()`);
    }
  }

  it('records a successful change once, inside the change', async () => {
    const vendor = await signUpVendor('海天瑞声 / SpeechOcean 数据服务');
    const approved = await harness.inject({ method: 'POST', url: `/v1/admin/organizations/${vendor}/approve`, key: harness.adminKey });
    expect(approved.status).toBe(200);
    expect(await auditOf(vendor)).toEqual([
      { action: 'organization.sign-up', outcome: 'success', status: 201, actor_role: null },
      { action: 'organization.approve', outcome: 'success', status: 200, actor_role: 'admin' },
    ]);
  });

  it('leaves no change behind when its audit record cannot be written', async () => {
    const vendor = await signUpVendor('标贝科技 / DataBaker 语音合成数据');
    await refuse(`audit_event`, `NEW.outcome = 'success' AND NEW.action = 'organization.approve'`, async () => {
      const approved = await harness.inject({ method: 'POST', url: `/v1/admin/organizations/${vendor}/approve`, key: harness.adminKey });
      expect(approved.status).toBe(500);
    });
    expect(await statusOf(vendor)).toBe('pending');
    expect(await auditOf(vendor)).toEqual([
      { action: 'organization.sign-up', outcome: 'success', status: 201, actor_role: null },
      { action: 'organization.approve', outcome: 'failed', status: 500, actor_role: 'admin' },
    ]);
  });

  it('leaves no success record behind when the change cannot be written', async () => {
    const vendor = await signUpVendor('数据堂 / Datatang 多模态标注');
    await refuse(`organization`, `NEW.status = 'active'`, async () => {
      const approved = await harness.inject({ method: 'POST', url: `/v1/admin/organizations/${vendor}/approve`, key: harness.adminKey });
      expect(approved.status).toBe(500);
    });
    expect(await statusOf(vendor)).toBe('pending');
    expect((await auditOf(vendor)).filter((e) => e.action === 'organization.approve')).toEqual([
      { action: 'organization.approve', outcome: 'failed', status: 500, actor_role: 'admin' },
    ]);
  });

  it('creates no organization when the sign-up cannot be audited', async () => {
    const name = `云测数据 / Testin 自动驾驶点云 ${Date.now()}`;
    await refuse(`audit_event`, `NEW.outcome = 'success' AND NEW.action = 'organization.sign-up'`, async () => {
      const answer = await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name, kind: 'buyer', contactEmail: 'procurement@example.cn' } });
      expect(answer.status).toBe(500);
    });
    expect(await sql(`SELECT id FROM organization WHERE name = $1`, [name])).toEqual([]);
    expect(await sql(`SELECT outcome FROM audit_event WHERE action = 'organization.sign-up' AND outcome <> 'success'`)).toEqual([{ outcome: 'failed' }]);
  });

  it('refuses a malformed Idempotency-Key with 400 before changing anything, and audits the refusal', async () => {
    const signUp = await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name: '上海人工智能实验室 / Shanghai AI Lab 采购', kind: 'buyer', contactEmail: 'buy@example.cn' } });
    const answer = await harness.inject({
      method: 'POST',
      url: '/v1/api-keys',
      key: signUp.body.apiKey,
      headers: { 'idempotency-key': 'two words' },
      body: { name: 'eval-runner' },
    });
    expect(answer).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: 'Idempotency-Key' }] } });
    expect(await sql(`SELECT name FROM api_key WHERE organization_id = $1`, [signUp.body.organization.id])).toEqual([{ name: 'default' }]);
    const audited = await sql(`SELECT outcome, status, error_code FROM audit_event WHERE action = 'api-key.create' AND actor_organization_id = $1`, [signUp.body.organization.id]);
    expect(audited).toEqual([{ outcome: 'failed', status: 400, error_code: 'VALIDATION_FAILED' }]);
  });

  it('files the audit record a service wrote with its change, once however often it is delivered', async () => {
    const record: AuditRecordedV1 = {
      id: randomUUID(),
      at: '2026-11-30T08:15:00.000Z',
      actorOrganizationId: randomUUID(),
      actorKeyId: randomUUID(),
      actorRole: 'vendor',
      action: 'dataset.create',
      targetType: 'dataset',
      targetId: randomUUID(),
      status: 201,
      correlationId: 'corr-dataset-create-42',
      ip: '198.51.100.23',
    };
    // As the catalog's outbox relay publishes it; the second copy is a redelivery with another message id.
    const nc = await connectNats();
    try {
      const subject = new Namespace(harness.namespace).subject(AuditEvents.recorded.catalog.subject);
      const envelope = { id: randomUUID(), subject: AuditEvents.recorded.catalog.subject, occurredAt: record.at, producer: 'catalog', payload: record };
      await nc.jetstream().publish(subject, encodeJson(envelope), { msgID: envelope.id });
      await nc.jetstream().publish(subject, encodeJson(envelope), { msgID: `${envelope.id}-again` });
    } finally {
      await nc.close();
    }
    const filed = await waitFor('the audit record to be filed', async () => {
      const page = await harness.inject({ method: 'GET', url: `/v1/admin/audit?actor=${record.actorKeyId}`, key: harness.adminKey });
      return page.body.items.length > 0 && page.body.items;
    });
    expect(filed).toEqual([
      {
        id: record.id,
        at: record.at,
        actor: { organizationId: record.actorOrganizationId, keyId: record.actorKeyId, role: 'vendor' },
        action: 'dataset.create',
        target: { type: 'dataset', id: record.targetId },
        outcome: 'success',
        status: 201,
        errorCode: null,
        correlationId: 'corr-dataset-create-42',
        ip: '198.51.100.23',
      },
    ]);
    await waitFor('the second copy to be handled', async () => (await handled('duplicate')) >= 1);
    expect(await handled('applied')).toBe(1);
    expect(await sql(`SELECT count(*)::int AS n FROM audit_event WHERE id = $1`, [record.id])).toEqual([{ n: 1 }]);
  });

  it('records a revoked key with the key as its target, and the key is refused from then on', async () => {
    const signUp = await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name: '智源研究院 数据采购 / BAAI procurement', kind: 'buyer', contactEmail: 'data@example.cn' } });
    const created = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: signUp.body.apiKey, body: { name: 'pretraining-etl' } });
    expect(await auditOf(created.body.id)).toEqual([{ action: 'api-key.create', outcome: 'success', status: 201, actor_role: 'buyer' }]);
    const revoked = await harness.inject({ method: 'DELETE', url: `/v1/api-keys/${created.body.id}`, key: signUp.body.apiKey });
    expect(revoked.status).toBe(204);
    expect((await auditOf(created.body.id)).map((e) => [e.action, e.status])).toEqual([
      ['api-key.create', 201],
      ['api-key.revoke', 204],
    ]);
    expect((await harness.inject({ method: 'GET', url: '/v1/me', key: created.body.key })).status).toBe(401);
  });

  it('records a call whose path id holds a NUL or control characters, and answers it as it answers any bad id', async () => {
    // The NUL went into the record's target, which PostgreSQL cannot store: every such call was a
    // 500 with no record at all, whoever made it.
    const vendor = await signUpVendor('云测数据 / Testin 自动驾驶标注');
    const attempts = [
      { method: 'DELETE', url: '/v1/api-keys/%00', key: undefined, status: 401, target: '\ufffd' },
      { method: 'POST', url: `/v1/admin/organizations/${vendor}%00/suspend`, key: harness.adminKey, status: 400, target: `${vendor}\ufffd` },
      { method: 'POST', url: `/v1/admin/organizations/${vendor}%1b%5b31m/approve`, key: harness.adminKey, status: 400, target: `${vendor}\ufffd[31m` },
      // Characters that reorder or hide what the operator reads: a right-to-left override, a
      // zero-width space and a private-use character, sent without a key and with one.
      { method: 'DELETE', url: '/v1/api-keys/%E2%80%AEgnp.exe', key: undefined, status: 401, target: '\ufffdgnp.exe' },
      { method: 'POST', url: `/v1/admin/organizations/${vendor}%E2%80%8B%EE%80%80/approve`, key: harness.adminKey, status: 400, target: `${vendor}\ufffd\ufffd` },
    ];
    for (const attempt of attempts) {
      const answer = await harness.inject({ method: attempt.method, url: attempt.url, key: attempt.key });
      expect([attempt.url, answer.status]).toEqual([attempt.url, attempt.status]);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await auditOf(attempt.target)).toEqual([expect.objectContaining({ status: attempt.status, outcome: attempt.status === 401 ? 'denied' : 'failed' })]);
    }
    expect(await statusOf(vendor)).toBe('pending');
    // An id in upper case is the same id: the operator finds the call, in any case.
    const upper = await harness.inject({ method: 'POST', url: `/v1/admin/organizations/${vendor.toUpperCase()}/suspend`, key: harness.adminKey });
    expect(upper.status).toBe(200);
    const history = await harness.inject({ method: 'GET', url: `/v1/admin/audit?target=${vendor.toUpperCase()}&action=organization.suspend`, key: harness.adminKey });
    expect(history.body.items.map((e: { status: number; target: { id: string } }) => [e.status, e.target.id])).toEqual([[200, vendor]]);
  });
});
