import type { Role } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { describeRoutes, type RouteDescription } from '../src/auth/route-rules';
import { CatalogSubjects, MessageHeaders, OrderingEvents } from '@trove/contracts';
import { encodeJson, Namespace, RpcClient } from '@trove/messaging';
import { headers as natsHeaders } from 'nats';
import { connectNats } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { commercialOffer, newDataset, sha256Hex, speechListing, yearlyOffer } from '../../../test/support/catalog';
import { GatewayHarness } from './gateway-harness';
import { withDatabase } from '../../../test/support/postgres';

jest.setTimeout(180_000);

type Caller = 'anonymous' | 'buyer' | 'vendor' | 'other' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'buyer', 'vendor', 'other', 'admin'];

interface Party {
  organizationId: string;
  key: string;
}

interface Fixture {
  harness: GatewayHarness;
  parties: Record<Exclude<Caller, 'anonymous'>, Party>;
  /** A read key (`access: "read"`) of each of the parties that own or run things. */
  readKeys: Record<'buyer' | 'vendor' | 'admin', string>;
  signUp(kind: 'buyer' | 'vendor', name?: string): Promise<Party>;
}

interface Request {
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * How to call each route with a valid request. `owner` names whose object the request
 * touches: callers of other organizations must get 404 for it, not learn that it exists.
 * Every route the gateway serves needs an entry, and every entry a route.
 */
interface RouteCase {
  owner?: 'buyer' | 'vendor';
  /** Operators see every organization's object (an invoice): 200 for them, 404 for other owners. */
  adminSeesAll?: boolean;
  prepare(fx: Fixture): Promise<Request>;
}

const CASES: Record<string, RouteCase> = {
  'GET /v1/admin/health': { prepare: async () => ({ url: '/v1/admin/health' }) },
  'GET /v1/admin/organizations': { prepare: async () => ({ url: '/v1/admin/organizations?kind=vendor&status=pending&limit=5' }) },
  'POST /v1/admin/organizations/:id/approve': {
    prepare: async (fx) => ({ url: `/v1/admin/organizations/${(await fx.signUp('vendor', '云测数据 Testin Data')).organizationId}/approve` }),
  },
  'POST /v1/admin/organizations/:id/suspend': {
    prepare: async (fx) => ({
      url: `/v1/admin/organizations/${(await fx.signUp('buyer', '国网智能研究院')).organizationId}/suspend`,
      body: { reason: '采购合同主体与注册主体不一致，请联系运营核实 / The purchasing entity differs from the registered one: contact operations' },
    }),
  },
  'GET /v1/admin/audit': { prepare: async () => ({ url: '/v1/admin/audit?limit=5' }) },
  'GET /v1/admin/dead-letters': { prepare: async () => ({ url: '/v1/admin/dead-letters?limit=5' }) },
  'POST /v1/admin/dead-letters/:id/replay': {
    prepare: async (fx) => {
      // A dead letter of the gateway's own: no handler of it runs here, so the replay answers `failed`.
      const id = randomUUID();
      const payload = JSON.stringify({ datasetId: randomUUID(), vendorOrganizationId: randomUUID(), suspendedAt: new Date().toISOString() });
      await withDatabase(fx.harness.gatewayDb.url, (client) =>
        client.query(
          `INSERT INTO dead_letter (id, consumer, subject, event_id, payload, body, headers, reason, error, attempts, first_failed_at, dead_at)
           VALUES ($1, 'revoke-suspended-vendor-keys', 'evt.catalog.dataset.suspended.v1', gen_random_uuid(), $2::jsonb, $2::text, '{}', 'failed', 'key cache unavailable', 10, now(), now())`,
          [id, payload],
        ),
      );
      return { url: `/v1/admin/dead-letters/${id}/replay` };
    },
  },
  'GET /v1/admin/organizations/:id/api-keys': { prepare: async (fx) => ({ url: `/v1/admin/organizations/${fx.parties.buyer.organizationId}/api-keys?limit=5` }) },
  'POST /v1/admin/organizations/:id/api-keys': {
    prepare: async (fx) => ({ url: `/v1/admin/organizations/${fx.parties.buyer.organizationId}/api-keys`, body: { name: 'replacement-after-leak' } }),
  },
  'DELETE /v1/admin/api-keys/:id': {
    prepare: async (fx) => {
      const created = await fx.harness.inject({ method: 'POST', url: '/v1/api-keys', key: fx.parties.buyer.key, body: { name: 'leaked-in-ci-logs' } });
      return { url: `/v1/admin/api-keys/${created.body.id}` };
    },
  },
  'POST /v1/organizations': {
    prepare: async () => ({ url: '/v1/organizations', body: { name: `海天瑞声 SpeechOcean ${randomUUID().slice(0, 8)}`, kind: 'vendor', contactEmail: 'bd@speechocean.example.cn' } }),
  },
  'GET /v1/me': { prepare: async () => ({ url: '/v1/me' }) },
  'POST /v1/api-keys': { prepare: async () => ({ url: '/v1/api-keys', body: { name: 'nightly-eval-runner' } }) },
  'GET /v1/api-keys': { prepare: async () => ({ url: '/v1/api-keys?limit=10' }) },
  'DELETE /v1/api-keys/:id': {
    owner: 'buyer',
    prepare: async (fx) => {
      const created = await fx.harness.inject({ method: 'POST', url: '/v1/api-keys', key: fx.parties.buyer.key, body: { name: 'to-be-revoked' } });
      return { url: `/v1/api-keys/${created.body.id}` };
    },
  },
  'GET /v1/datasets': { prepare: async () => ({ url: '/v1/datasets?q=%E8%AF%AD%E9%9F%B3&modality=speech&limit=5' }) },
  'GET /v1/datasets/:id': {
    prepare: async (fx) => ({ url: `/v1/datasets/${(await newDataset(fx.harness.catalogDb.url, { title: '中文多轮对话 SFT 数据 5 万条' })).id}` }),
  },
  'GET /v1/datasets/:id/croissant': {
    prepare: async (fx) => ({ url: `/v1/datasets/${(await newDataset(fx.harness.catalogDb.url, { title: '粤语电话客服语音 500 小时' })).id}/croissant` }),
  },
  'POST /v1/datasets': { prepare: async () => ({ url: '/v1/datasets', body: speechListing() }) },
  'PATCH /v1/datasets/:id': {
    prepare: async (fx) => ({ url: `/v1/datasets/${await vendorDataset(fx)}`, body: { tags: ['普通话', '客服'] } }),
  },
  'POST /v1/datasets/:id/submit': { prepare: async (fx) => ({ url: `/v1/datasets/${await vendorDataset(fx, { released: true, offer: true })}/submit` }) },
  'POST /v1/datasets/:id/withdraw': {
    prepare: async (fx) => ({ url: `/v1/datasets/${(await newDataset(fx.harness.catalogDb.url, { vendorOrganizationId: fx.parties.vendor.organizationId })).id}/withdraw` }),
  },
  'POST /v1/datasets/:id/versions': {
    prepare: async (fx) => ({ url: `/v1/datasets/${await vendorDataset(fx)}/versions`, body: { version: '1.0.0', changelog: '首个版本' } }),
  },
  'POST /v1/datasets/:id/versions/:versionId/uploads': {
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      const version = await asVendor(fx, 'POST', `/v1/datasets/${id}/versions`, { version: '1.0.0' });
      return { url: `/v1/datasets/${id}/versions/${version.id}/uploads`, body: { path: 'audio/zh-CN/0001.wav', size: 1024 } };
    },
  },
  'POST /v1/datasets/:id/versions/:versionId/release': {
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      const version = await versionWithFile(fx, id);
      return { url: `/v1/datasets/${id}/versions/${version}/release` };
    },
  },
  'DELETE /v1/datasets/:id/versions/:versionId/files/*': {
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      return { url: `/v1/datasets/${id}/versions/${await versionWithFile(fx, id)}/files/audio/zh-CN/0001.wav` };
    },
  },
  'POST /v1/datasets/:id/offers': { prepare: async (fx) => ({ url: `/v1/datasets/${await vendorDataset(fx)}/offers`, body: commercialOffer() }) },
  'POST /v1/datasets/:id/offers/:offerId/withdraw': {
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      const offer = await asVendor(fx, 'POST', `/v1/datasets/${id}/offers`, commercialOffer());
      return { url: `/v1/datasets/${id}/offers/${offer.id}/withdraw` };
    },
  },
  'GET /v1/datasets/:id/versions': {
    // A draft's versions: its vendor and operators list them, nobody else learns the draft exists.
    owner: 'vendor',
    adminSeesAll: true,
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      await versionWithFile(fx, id);
      return { url: `/v1/datasets/${id}/versions?limit=10` };
    },
  },
  'GET /v1/datasets/:id/downloads': {
    // Who received a listing: its vendor and operators, nobody else learns it.
    owner: 'vendor',
    adminSeesAll: true,
    prepare: async (fx) => ({ url: `/v1/datasets/${await vendorDataset(fx)}/downloads?limit=10` }),
  },
  'GET /v1/datasets/:id/versions/:versionId/files': {
    // A draft's open version: its vendor and operators see the files, nobody else learns it exists.
    owner: 'vendor',
    adminSeesAll: true,
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      return { url: `/v1/datasets/${id}/versions/${await versionWithFile(fx, id)}/files?limit=10` };
    },
  },
  'GET /v1/datasets/:id/samples/:sampleId': {
    owner: 'vendor',
    adminSeesAll: true,
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      return { url: `/v1/datasets/${id}/samples/${await vendorSample(fx, id)}` };
    },
  },
  'DELETE /v1/datasets/:id/samples/:sampleId': {
    prepare: async (fx) => {
      const id = await vendorDataset(fx);
      return { url: `/v1/datasets/${id}/samples/${await vendorSample(fx, id)}` };
    },
  },
  'GET /v1/vendor/profile': {
    prepare: async (fx) => {
      await fx.harness.inject({ method: 'PUT', url: '/v1/vendor/profile', key: fx.parties.vendor.key, body: { displayNameZh: '标贝科技', displayNameEn: 'DataBaker' } });
      return { url: '/v1/vendor/profile' };
    },
  },
  'POST /v1/datasets/:id/samples': {
    prepare: async (fx) => ({ url: `/v1/datasets/${await vendorDataset(fx)}/samples`, body: { path: 'samples/0001.wav', size: 2048 } }),
  },
  'GET /v1/admin/datasets': { prepare: async () => ({ url: '/v1/admin/datasets?status=in_review&limit=5' }) },
  'POST /v1/admin/datasets/:id/approve': {
    // Approving re-checks what submitting needed: a released version and a live offer.
    prepare: async (fx) => {
      const id = await vendorDataset(fx, { released: true, offer: true });
      await asVendor(fx, 'POST', `/v1/datasets/${id}/submit`);
      return { url: `/v1/admin/datasets/${id}/approve` };
    },
  },
  'POST /v1/admin/datasets/:id/reject': {
    prepare: async (fx) => ({
      url: `/v1/admin/datasets/${(await newDataset(fx.harness.catalogDb.url, { status: 'in_review' })).id}/reject`,
      body: { reason: '缺少说话人同意书 / Speaker consent records missing' },
    }),
  },
  'POST /v1/admin/datasets/:id/suspend': {
    prepare: async (fx) => ({ url: `/v1/admin/datasets/${(await newDataset(fx.harness.catalogDb.url)).id}/suspend` }),
  },
  'GET /v1/vendor/datasets': { prepare: async () => ({ url: '/v1/vendor/datasets?status=draft&limit=5' }) },
  'PUT /v1/vendor/profile': {
    prepare: async () => ({ url: '/v1/vendor/profile', body: { displayNameZh: '标贝（北京）科技有限公司', displayNameEn: 'DataBaker', certifications: ['ISO/IEC 27001'] } }),
  },
  'GET /v1/vendors/:id': {
    prepare: async (fx) => {
      await asVendor(fx, 'PUT', '/v1/vendor/profile', { displayNameZh: '标贝（北京）科技有限公司', displayNameEn: 'DataBaker' });
      return { url: `/v1/vendors/${fx.parties.vendor.organizationId}` };
    },
  },
  'POST /v1/orders': {
    prepare: async (fx) => ({ url: '/v1/orders', body: { items: [{ offerId: (await orderingOffers(fx)).open }], acceptLicense: true }, headers: { 'idempotency-key': randomUUID() } }),
  },
  'GET /v1/orders': { prepare: async () => ({ url: '/v1/orders?status=pending_payment&limit=5' }) },
  'GET /v1/orders/:id': { owner: 'buyer', adminSeesAll: true, prepare: async (fx) => ({ url: `/v1/orders/${await buyerOrder(fx)}` }) },
  'GET /v1/orders/:id/receipt': { owner: 'buyer', adminSeesAll: true, prepare: async (fx) => ({ url: `/v1/orders/${await buyerOrder(fx)}/receipt` }) },
  'POST /v1/admin/orders/:id/refund': {
    prepare: async (fx) => ({ url: `/v1/admin/orders/${await paidOrder(fx)}/refund`, body: { reason: '数据与描述不符 / data did not match the listing' } }),
  },
  'GET /v1/sales': { prepare: async () => ({ url: '/v1/sales?limit=5' }) },
  'POST /v1/access-requests': {
    prepare: async (fx) => ({ url: '/v1/access-requests', body: { offerId: (await orderingOffers(fx)).gated, intendedUse: '方言语音识别模型训练 / dialect ASR training' } }),
  },
  'GET /v1/access-requests': { prepare: async () => ({ url: '/v1/access-requests?status=pending&limit=5' }) },
  'POST /v1/access-requests/:id/approve': { prepare: async (fx) => ({ url: `/v1/access-requests/${await pendingAccessRequest(fx)}/approve` }) },
  'POST /v1/access-requests/:id/reject': { prepare: async (fx) => ({ url: `/v1/access-requests/${await pendingAccessRequest(fx)}/reject` }) },
  'GET /v1/admin/stats': { prepare: async () => ({ url: '/v1/admin/stats' }) },
  'GET /v1/wallet': { prepare: async () => ({ url: '/v1/wallet?currency=CNY' }) },
  'POST /v1/wallet/top-ups': {
    prepare: async () => ({ url: '/v1/wallet/top-ups', body: { amount: { amount: 1_000_000, currency: 'CNY' }, reference: `招商银行 CMB-20261130-${randomUUID().slice(0, 8)}` }, headers: { 'idempotency-key': randomUUID() } }),
  },
  'POST /v1/admin/top-ups/:id/confirm': { prepare: async (fx) => ({ url: `/v1/admin/top-ups/${await pendingTopUp(fx)}/confirm` }) },
  'GET /v1/wallet/top-ups/:id': { owner: 'buyer', adminSeesAll: true, prepare: async (fx) => ({ url: `/v1/wallet/top-ups/${await pendingTopUp(fx)}` }) },
  // Lists scoped to the caller's own organization (another buyer's answer is its own, empty list);
  // the scoping itself is tested in apps/billing/test/money-lists.test.ts and test/e2e/money-lists.e2e.ts.
  'GET /v1/wallet/top-ups': {
    prepare: async (fx) => {
      await pendingTopUp(fx);
      return { url: '/v1/wallet/top-ups?status=pending&limit=5' };
    },
  },
  'GET /v1/admin/top-ups': {
    prepare: async (fx) => {
      await pendingTopUp(fx);
      return { url: `/v1/admin/top-ups?status=pending&organization=${fx.parties.buyer.organizationId}&limit=5` };
    },
  },
  'POST /v1/wallet/top-ups/:id/cancel': { owner: 'buyer', prepare: async (fx) => ({ url: `/v1/wallet/top-ups/${await pendingTopUp(fx)}/cancel` }) },
  'POST /v1/admin/top-ups/:id/reject': {
    prepare: async (fx) => ({ url: `/v1/admin/top-ups/${await pendingTopUp(fx)}/reject`, body: { reason: '招商银行对账单上没有这笔转账 / the transfer is not on the bank statement' } }),
  },
  'GET /v1/invoices': { prepare: async () => ({ url: '/v1/invoices?limit=5' }) },
  'GET /v1/invoices/:id': { owner: 'buyer', adminSeesAll: true, prepare: async (fx) => ({ url: `/v1/invoices/${await billingSale(fx)}` }) },
  'GET /v1/balance': { prepare: async () => ({ url: '/v1/balance' }) },
  'GET /v1/balance/statement': { prepare: async () => ({ url: '/v1/balance/statement?from=2027-01-01T00:00:00%2B08:00&to=2027-02-01T00:00:00%2B08:00&currency=CNY' }) },
  'GET /v1/admin/organizations/:id/wallet': { prepare: async (fx) => ({ url: `/v1/admin/organizations/${fx.parties.buyer.organizationId}/wallet?currency=CNY` }) },
  'GET /v1/admin/organizations/:id/statement': {
    prepare: async (fx) => ({ url: `/v1/admin/organizations/${fx.parties.vendor.organizationId}/statement?from=2027-01-01T00:00:00%2B08:00&to=2027-02-01T00:00:00%2B08:00&currency=CNY` }),
  },
  'POST /v1/payouts': {
    prepare: async (fx) => {
      await billingSale(fx);
      return { url: '/v1/payouts', body: { amount: { amount: 1, currency: 'CNY' } }, headers: { 'idempotency-key': randomUUID() } };
    },
  },
  'POST /v1/admin/payouts/:id/approve': {
    prepare: async (fx) => {
      await billingSale(fx);
      const payout = await fx.harness.inject({ method: 'POST', url: '/v1/payouts', key: fx.parties.vendor.key, body: { amount: { amount: 1, currency: 'CNY' } }, headers: { 'idempotency-key': randomUUID() } });
      return { url: `/v1/admin/payouts/${payout.body.id}/approve` };
    },
  },
  'GET /v1/payouts/:id': { prepare: async (fx) => ({ url: `/v1/payouts/${await pendingPayout(fx)}` }) },
  'GET /v1/payouts': {
    prepare: async (fx) => {
      await pendingPayout(fx);
      return { url: '/v1/payouts?status=pending&limit=5' };
    },
  },
  'GET /v1/admin/payouts': {
    prepare: async (fx) => {
      await pendingPayout(fx);
      return { url: `/v1/admin/payouts?status=pending&organization=${fx.parties.vendor.organizationId}&limit=5` };
    },
  },
  'POST /v1/payouts/:id/cancel': { prepare: async (fx) => ({ url: `/v1/payouts/${await pendingPayout(fx)}/cancel` }) },
  'POST /v1/admin/payouts/:id/reject': {
    prepare: async (fx) => ({ url: `/v1/admin/payouts/${await pendingPayout(fx)}/reject`, body: { reason: '收款账户名称与营业执照不符 / payee name does not match the licence' } }),
  },
  'GET /v1/admin/ledger/trial-balance': { prepare: async () => ({ url: '/v1/admin/ledger/trial-balance' }) },
  'GET /v1/subscriptions': { prepare: async () => ({ url: '/v1/subscriptions?status=active&limit=5' }) },
  'GET /v1/subscriptions/:id': { owner: 'buyer', adminSeesAll: true, prepare: async (fx) => ({ url: `/v1/subscriptions/${await buyerSubscription(fx)}` }) },
  'POST /v1/subscriptions/:id/cancel': { owner: 'buyer', prepare: async (fx) => ({ url: `/v1/subscriptions/${await buyerSubscription(fx)}/cancel` }) },
  'POST /v1/subscriptions/:id/resume': { owner: 'buyer', prepare: async (fx) => ({ url: `/v1/subscriptions/${await buyerSubscription(fx)}/resume` }) },
  'GET /v1/admin/subscriptions': { prepare: async (fx) => ({ url: `/v1/admin/subscriptions?status=active&organization=${fx.parties.buyer.organizationId}&limit=5` }) },
  'GET /v1/entitlements': { prepare: async () => ({ url: '/v1/entitlements?status=active' }) },
  'GET /v1/entitlements/:id/manifest': { owner: 'buyer', prepare: async (fx) => ({ url: `/v1/entitlements/${(await deliverySale(fx)).entitlementId}/manifest` }) },
  'GET /v1/datasets/:id/versions/:versionId/files/*': {
    owner: 'buyer',
    prepare: async (fx) => {
      const { datasetId, versionIds, path } = await deliverySale(fx);
      return { url: `/v1/datasets/${datasetId}/versions/${versionIds[0]}/files/${path.split('/').map(encodeURIComponent).join('/')}` };
    },
  },
  'GET /v1/entitlements/:id/diff': {
    owner: 'buyer',
    prepare: async (fx) => {
      const { entitlementId, versionIds } = await deliverySale(fx);
      return { url: `/v1/entitlements/${entitlementId}/diff?from=${versionIds[0]}&to=${versionIds[1]}&limit=100` };
    },
  },
};

/** Publishes one order's event onto the stream as ordering would: the first of its aggregate. */
async function publishOrderEvent(fx: Fixture, subject: string, orderId: string, payload: object): Promise<void> {
  const nc = await connectNats();
  try {
    const id = randomUUID();
    const envelope = { id, subject, occurredAt: new Date().toISOString(), producer: 'ordering', payload, aggregate: { type: 'ordering.order', id: orderId, seq: 1, previous: {} } };
    const h = natsHeaders();
    h.set(MessageHeaders.eventId, id);
    await nc.jetstream().publish(new Namespace(fx.harness.namespace).subject(subject), encodeJson(envelope), { headers: h });
  } finally {
    await nc.close();
  }
}

let entitled: Promise<{ entitlementId: string; datasetId: string; versionIds: string[]; path: string }> | undefined;

/**
 * One paid order of the fixture's buyer, as delivery sees it (ordering's `order.paid` on the
 * stream, covering two versions): the buyer has an entitlement. Made once.
 */
function deliverySale(fx: Fixture): Promise<{ entitlementId: string; datasetId: string; versionIds: string[]; path: string }> {
  entitled ??= (async () => {
    const orderId = randomUUID();
    const datasetId = randomUUID();
    const versionIds = [randomUUID(), randomUUID()];
    // One file of the first version, recorded as delivery records an upload.
    const path = 'audio/zh-CN/普通话 0001.wav';
    await withDatabase(fx.harness.deliveryDb.url, (client) =>
      client.query(
        `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at) VALUES ($1, 'version-file', $2, $3, $4, 3, $5, $6, now())`,
        [`datasets/${datasetId}/${randomUUID()}`, datasetId, versionIds[0], path, sha256Hex('abc'), fx.parties.vendor.organizationId],
      ),
    );
    const terms = { attributionRequired: false, downloadLimit: null, exclusive: false, seats: null, termMonths: null, territories: ['CN'], uses: ['model_training'] };
    const payload = {
      orderId,
      buyerOrganizationId: fx.parties.buyer.organizationId,
      lines: [
        {
          lineId: randomUUID(),
          offerId: randomUUID(),
          datasetId,
          vendorOrganizationId: fx.parties.vendor.organizationId,
          licenseTemplate: 'commercial',
          terms,
          termsSha256: '9f1782bb0aa46d20b773450a85d699b12e8beb79fc670c6a0a30380f8ad54737',
          pricing: { model: 'one_time' },
          coversFutureVersions: false,
          versionIds,
        },
      ],
      paidAt: new Date().toISOString(),
    };
    await publishOrderEvent(fx, OrderingEvents.orderPaid.subject, orderId, payload);
    const entitlementId = await waitFor('the entitlement of the sale', async () => {
      const listed = await fx.harness.inject({ method: 'GET', url: '/v1/entitlements', key: fx.parties.buyer.key });
      // The buyer's real purchases (the ordering rows) have entitlements too: this sale's is the one of its order.
      return listed.body?.items?.find((e: { orderId: string }) => e.orderId === orderId)?.id as string | undefined;
    });
    return { entitlementId, datasetId, versionIds, path };
  })();
  return entitled;
}

/** A bank transfer the fixture's buyer announced, not yet confirmed. */
async function pendingTopUp(fx: Fixture): Promise<string> {
  const answer = await fx.harness.inject({
    method: 'POST',
    url: '/v1/wallet/top-ups',
    key: fx.parties.buyer.key,
    body: { amount: { amount: 1_000_000, currency: 'CNY' }, reference: `工商银行 ICBC-${randomUUID().slice(0, 8)}` },
    headers: { 'idempotency-key': randomUUID() },
  });
  if (answer.status !== 201) throw new Error(`top-up: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

let subscribed: Promise<string> | undefined;

/**
 * A monthly subscription of the fixture's buyer to the fixture's vendor, as billing sees it
 * (ordering's `order.placed` with a subscription line on the stream). Made once: cancelling and
 * resuming it again answers it again.
 */
function buyerSubscription(fx: Fixture): Promise<string> {
  subscribed ??= (async () => {
    const topUp = await pendingTopUp(fx);
    await fx.harness.inject({ method: 'POST', url: `/v1/admin/top-ups/${topUp}/confirm`, key: fx.harness.adminKey });
    const orderId = randomUUID();
    const price = { amount: 88_000, currency: 'CNY' };
    const payload = {
      orderId,
      buyerOrganizationId: fx.parties.buyer.organizationId,
      lines: [
        {
          lineId: randomUUID(),
          offerId: randomUUID(),
          datasetId: randomUUID(),
          vendorOrganizationId: fx.parties.vendor.organizationId,
          price,
          pricing: { model: 'subscription', period: 'month' },
          licenseTemplate: 'research',
          termsSha256: '9f1782bb0aa46d20b773450a85d699b12e8beb79fc670c6a0a30380f8ad54737',
        },
      ],
      total: price,
      placedAt: new Date().toISOString(),
    };
    await publishOrderEvent(fx, OrderingEvents.orderPlaced.subject, orderId, payload);
    return waitFor('the subscription of the order', async () => {
      const listed = await fx.harness.inject({ method: 'GET', url: '/v1/subscriptions', key: fx.parties.buyer.key });
      return listed.body?.items?.find((s: { orderId: string }) => s.orderId === orderId)?.id as string | undefined;
    });
  })();
  return subscribed;
}

let sale: Promise<string> | undefined;

/**
 * One purchase by the fixture's buyer from the fixture's vendor, as billing sees it (ordering's
 * `order.placed` on the stream): the buyer has an invoice, the vendor a balance. Made once.
 */
function billingSale(fx: Fixture): Promise<string> {
  sale ??= (async () => {
    const topUp = await pendingTopUp(fx);
    await fx.harness.inject({ method: 'POST', url: `/v1/admin/top-ups/${topUp}/confirm`, key: fx.harness.adminKey });
    const orderId = randomUUID();
    const price = { amount: 459_900, currency: 'CNY' };
    const payload = {
      orderId,
      buyerOrganizationId: fx.parties.buyer.organizationId,
      lines: [
        {
          lineId: randomUUID(),
          offerId: randomUUID(),
          datasetId: randomUUID(),
          vendorOrganizationId: fx.parties.vendor.organizationId,
          price,
          pricing: { model: 'one_time' },
          licenseTemplate: 'commercial',
          termsSha256: '9f1782bb0aa46d20b773450a85d699b12e8beb79fc670c6a0a30380f8ad54737',
        },
      ],
      total: price,
      placedAt: new Date().toISOString(),
    };
    await publishOrderEvent(fx, OrderingEvents.orderPlaced.subject, orderId, payload);
    return waitFor('the invoice of the sale', async () => {
      const invoices = await fx.harness.inject({ method: 'GET', url: '/v1/invoices', key: fx.parties.buyer.key });
      return invoices.body?.items?.[0]?.id as string | undefined;
    });
  })();
  return sale;
}

let offers: Promise<{ open: string; gated: string }> | undefined;

/** A published listing of the fixture's vendor with an open offer and one that needs approval. Made once. */
function orderingOffers(fx: Fixture): Promise<{ open: string; gated: string }> {
  offers ??= (async () => {
    const datasetId = await vendorDataset(fx, { released: true });
    // Licenses for a year: the buyer orders them once per route checked (a perpetual one it may buy once).
    const open = await asVendor(fx, 'POST', `/v1/datasets/${datasetId}/offers`, yearlyOffer(99_900));
    const gated = await asVendor(fx, 'POST', `/v1/datasets/${datasetId}/offers`, yearlyOffer(99_900, { requiresApproval: true }));
    await asVendor(fx, 'POST', `/v1/datasets/${datasetId}/submit`);
    const approved = await fx.harness.inject({ method: 'POST', url: `/v1/admin/datasets/${datasetId}/approve`, key: fx.harness.adminKey });
    if (approved.status !== 200) throw new Error(`publish: ${approved.status} ${JSON.stringify(approved.body)}`);
    return { open: open.id, gated: gated.id };
  })();
  return offers;
}

/** A new order of the fixture's buyer. */
async function buyerOrder(fx: Fixture): Promise<string> {
  const answer = await fx.harness.inject({
    method: 'POST',
    url: '/v1/orders',
    key: fx.parties.buyer.key,
    body: { items: [{ offerId: (await orderingOffers(fx)).open }], acceptLicense: true },
    headers: { 'idempotency-key': randomUUID() },
  });
  if (answer.status !== 201) throw new Error(`order: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

/** An order of the fixture's buyer that billing has charged: one an operator may refund. */
async function paidOrder(fx: Fixture): Promise<string> {
  const topUp = await pendingTopUp(fx);
  await fx.harness.inject({ method: 'POST', url: `/v1/admin/top-ups/${topUp}/confirm`, key: fx.harness.adminKey });
  const id = await buyerOrder(fx);
  await waitFor('the order to be paid', async () => {
    const order = await fx.harness.inject({ method: 'GET', url: `/v1/orders/${id}`, key: fx.parties.buyer.key });
    if (order.body?.status === 'cancelled') throw new Error(`order ${id} was cancelled: ${order.body.cancellationReason}`);
    return ['paid', 'fulfilled'].includes(order.body?.status);
  });
  return id;
}

/** A pending access request of a new buyer for the fixture vendor's offer that needs approval. */
async function pendingAccessRequest(fx: Fixture): Promise<string> {
  const buyer = await fx.signUp('buyer', '商汤科技 SenseTime');
  const answer = await fx.harness.inject({
    method: 'POST',
    url: '/v1/access-requests',
    key: buyer.key,
    body: { offerId: (await orderingOffers(fx)).gated, intendedUse: '智能座舱语音交互评测 / in-car voice assistant evaluation' },
  });
  if (answer.status !== 201) throw new Error(`access request: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

/** A call as the fixture's (approved) vendor that must succeed. */
async function asVendor(fx: Fixture, method: string, url: string, body?: unknown) {
  const answer = await fx.harness.inject({ method, url, key: fx.parties.vendor.key, body });
  if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** An open version holding one file, recorded the way delivery records an upload. */
async function versionWithFile(fx: Fixture, datasetId: string): Promise<string> {
  const version = await asVendor(fx, 'POST', `/v1/datasets/${datasetId}/versions`, { version: '1.0.0' });
  await fx.harness.app.get(RpcClient).send(CatalogSubjects.addVersionFile, {
    datasetId,
    versionId: version.id,
    path: 'audio/zh-CN/0001.wav',
    size: 3,
    sha256: sha256Hex('abc'),
    storageKey: `objects/${randomUUID()}`,
  });
  return version.id;
}

/** A sample of the listing, recorded as delivery records one once its bytes are stored. */
async function vendorSample(fx: Fixture, datasetId: string): Promise<string> {
  const sample = (await fx.harness.app.get(RpcClient).send(CatalogSubjects.addSample, {
    datasetId,
    path: 'samples/utt_000001.wav',
    size: 3,
    sha256: sha256Hex('abc'),
    storageKey: `objects/${randomUUID()}`,
    contentType: 'audio/wav',
  })) as { id: string };
  return sample.id;
}

/** A payout of 1 fen the fixture's vendor asked for after a sale, still pending. */
async function pendingPayout(fx: Fixture): Promise<string> {
  await billingSale(fx);
  const payout = await fx.harness.inject({ method: 'POST', url: '/v1/payouts', key: fx.parties.vendor.key, body: { amount: { amount: 1, currency: 'CNY' } }, headers: { 'idempotency-key': randomUUID() } });
  expect(payout.status).toBe(201);
  return payout.body.id;
}

/** A draft of the fixture's vendor; with a released version and an offer it can be submitted. */
async function vendorDataset(fx: Fixture, options: { released?: boolean; offer?: boolean } = {}): Promise<string> {
  const dataset = await asVendor(fx, 'POST', '/v1/datasets', speechListing());
  if (options.released) {
    const version = await versionWithFile(fx, dataset.id);
    await asVendor(fx, 'POST', `/v1/datasets/${dataset.id}/versions/${version}/release`);
  }
  if (options.offer) await asVendor(fx, 'POST', `/v1/datasets/${dataset.id}/offers`, commercialOffer());
  return dataset.id;
}

function roleOf(caller: Exclude<Caller, 'anonymous'>): Role {
  return caller === 'other' ? 'buyer' : caller;
}

/** What the route's declared rule says this caller must get. */
function expectedStatus(route: RouteDescription, routeCase: RouteCase, caller: Caller): number {
  const rule = route.rule!;
  if (rule.kind === 'roles') {
    if (caller === 'anonymous') return 401;
    if (!rule.roles.includes(roleOf(caller))) return 403;
  }
  if (routeCase.owner && caller !== routeCase.owner && !(caller === 'admin' && routeCase.adminSeesAll)) return 404;
  return route.successStatus;
}

describe('authorization of every gateway route', () => {
  let harness: GatewayHarness;
  let fixture: Fixture;
  let routes: RouteDescription[];

  beforeAll(async () => {
    harness = await GatewayHarness.start();
    const signUp = async (kind: 'buyer' | 'vendor', name = kind === 'buyer' ? '中国移动九天人工智能' : '标贝科技 DataBaker'): Promise<Party> => {
      const answer = await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name, kind, contactEmail: 'ai-data@example.cn' } });
      expect(answer.status).toBe(201);
      return { organizationId: answer.body.organization.id, key: answer.body.apiKey };
    };
    const vendor = await signUp('vendor');
    expect((await harness.inject({ method: 'POST', url: `/v1/admin/organizations/${vendor.organizationId}/approve`, key: harness.adminKey })).status).toBe(200);
    const admin = await harness.inject({ method: 'GET', url: '/v1/me', key: harness.adminKey });
    const parties = {
      buyer: await signUp('buyer'),
      vendor,
      other: await signUp('buyer', '中国电信人工智能研究院'),
      admin: { organizationId: admin.body.organization.id, key: harness.adminKey },
    };
    const readKey = async (party: Party) => {
      const answer = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: party.key, body: { name: 'dashboard-readonly', access: 'read' } });
      expect(answer.status).toBe(201);
      return answer.body.key as string;
    };
    fixture = { harness, signUp, parties, readKeys: { buyer: await readKey(parties.buyer), vendor: await readKey(parties.vendor), admin: await readKey(parties.admin) } };
    routes = describeRoutes(harness.app).filter((route) => route.rule?.kind !== 'infrastructure');
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('has a declared rule for every route and a case in this table for each', () => {
    const names = routes.map((route) => `${route.method} ${route.path}`);
    expect(routes.filter((route) => !route.rule)).toEqual([]);
    expect(names.filter((name) => !CASES[name]).sort()).toEqual([]);
    expect(Object.keys(CASES).filter((name) => !names.includes(name)).sort()).toEqual([]);
  });

  it('gives every caller exactly the status the route declares', async () => {
    const outcomes: string[] = [];
    for (const route of routes) {
      const routeCase = CASES[`${route.method} ${route.path}`];
      for (const caller of CALLERS) {
        const request = await routeCase.prepare(fixture);
        const key = caller === 'anonymous' ? undefined : fixture.parties[caller].key;
        const answer = await harness.inject({ method: route.method, url: request.url, body: request.body, headers: request.headers, key });
        const expected = expectedStatus(route, routeCase, caller);
        outcomes.push(`${route.method} ${route.path} as ${caller}: ${answer.status}${answer.status === expected ? '' : ` (declared ${expected}: ${JSON.stringify(answer.body)})`}`);
        if (answer.status >= 400) {
          expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
      }
    }
    expect(outcomes.filter((line) => line.includes('declared'))).toEqual([]);
    expect(outcomes.length).toBe(routes.length * CALLERS.length);
  });

  it('gives a read key what a full key of its organization gets on every GET, and 403 KEY_READ_ONLY on every other route', async () => {
    const outcomes: string[] = [];
    for (const route of routes) {
      const routeCase = CASES[`${route.method} ${route.path}`];
      for (const caller of ['buyer', 'vendor', 'admin'] as const) {
        const reads = route.method === 'GET' || route.method === 'HEAD';
        // A refused method never reaches the route: any id in its path will do.
        const request = reads ? await routeCase.prepare(fixture) : { url: route.path.replace(/:[a-zA-Z]+/g, () => randomUUID()).replace(/\*$/, 'audio/0001.wav'), body: {} };
        const answer = await harness.inject({ method: route.method, url: request.url, body: request.body, headers: 'headers' in request ? request.headers : undefined, key: fixture.readKeys[caller] });
        const expected = reads ? `${expectedStatus(route, routeCase, caller)}` : '403 KEY_READ_ONLY';
        const got = reads ? `${answer.status}` : `${answer.status} ${answer.body?.code}`;
        outcomes.push(`${route.method} ${route.path} as ${caller}'s read key: ${got}${got === expected ? '' : ` (expected ${expected}: ${JSON.stringify(answer.body)})`}`);
      }
    }
    expect(outcomes.filter((line) => line.includes('expected'))).toEqual([]);
    expect(outcomes.length).toBe(routes.length * 3);
  });

  it('documents every rule in the OpenAPI document', async () => {
    const document = (await harness.inject({ method: 'GET', url: '/docs-json' })).body;
    for (const route of routes) {
      const path = route.path.replace(/:([a-zA-Z]+)/g, '{$1}').replace(/\/\*$/, '/{path}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.path}`, access: operation?.['x-trove-access'] }).toEqual({
        route: `${route.method} ${route.path}`,
        access: route.rule!.kind === 'public' ? { public: true } : { roles: (route.rule as { roles: Role[] }).roles, activeOnly: expect.any(Boolean) },
      });
      if (route.rule!.kind === 'roles') {
        expect(operation.security).toEqual([{ apiKey: [] }]);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });
});
