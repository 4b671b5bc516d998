import { GatewayHarness } from './gateway-harness';

jest.setTimeout(120_000);

/** `GET /v1/balance/statement` at the gateway: the period and currency it takes, and the 400s for the rest. */
describe('GET /v1/balance/statement', () => {
  let harness: GatewayHarness;
  let vendorKey: string;
  let vendorId: string;
  let buyerKey: string;
  let buyerId: string;

  beforeAll(async () => {
    harness = await GatewayHarness.start({});
    const signUp = async (kind: 'buyer' | 'vendor', name: string) => {
      const answer = await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name, kind, contactEmail: 'finance@example.cn' } });
      expect(answer.status).toBe(201);
      if (kind === 'vendor') vendorId = answer.body.organization.id;
      else buyerId = answer.body.organization.id;
      return answer.body.apiKey as string;
    };
    vendorKey = await signUp('vendor', '数据堂 Datatang');
    buyerKey = await signUp('buyer', '商汤科技 SenseTime');
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const get = (query: string, key: string | undefined = vendorKey) => harness.inject({ method: 'GET', url: `/v1/balance/statement${query}`, key });
  const JANUARY = '?from=2027-01-01T00:00:00%2B08:00&to=2027-02-01T00:00:00%2B08:00';

  it("answers a month of a vendor that sold nothing: zeros that add up, the period in UTC", async () => {
    const answer = await get(`${JANUARY}&currency=CNY`);
    const zero = { amount: 0, currency: 'CNY' };
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 200,
      body: { currency: 'CNY', from: '2026-12-31T16:00:00.000Z', to: '2027-01-31T16:00:00.000Z', opening: zero, sales: zero, commission: zero, refunds: zero, payouts: zero, closing: zero, entries: 0 },
    });
    expect((await get(JANUARY)).body.currency).toBe('CNY');
  });

  it('reads a + typed into the URL unencoded (a space once decoded) as the offset it was', async () => {
    // curl 'https://…/v1/balance/statement?from=2027-01-01T00:00:00+08:00&…' from Beijing.
    const typed = await get('?from=2027-01-01T00:00:00+08:00&to=2027-02-01T00:00:00+0800');
    expect({ status: typed.status, from: typed.body.from, to: typed.body.to }).toEqual({ status: 200, from: '2026-12-31T16:00:00.000Z', to: '2027-01-31T16:00:00.000Z' });
    // A space anywhere else is no offset.
    expect((await get('?from=2027-01-01%2000:00:00%2B08:00&to=2027-02-01T00:00:00Z')).status).toBe(400);
    expect((await get('?from=2027-01-01T00:00:00%20Z&to=2027-02-01T00:00:00Z')).status).toBe(400);
  });

  it.each([
    ['from and to missing', '', ['from', 'to']],
    ['from missing', '?to=2027-02-01T00:00:00Z', ['from']],
    ['to not a date-time', '?from=2027-01-01T00:00:00Z&to=next-month', ['to']],
    ['a week date', '?from=2027-W01&to=2027-02-01T00:00:00Z', ['from']],
    ['a date without a time', '?from=2027-01-01&to=2027-02-01T00:00:00Z', ['from']],
    ['a date-time without its offset', '?from=2027-01-01T00:00:00&to=2027-02-01T00:00:00Z', ['from']],
    ['from equal to to', '?from=2027-01-01T00:00:00Z&to=2027-01-01T08:00:00%2B08:00', ['from', 'to']],
    ['from after to', '?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z', ['from', 'to']],
    ['a period of 367 days', '?from=2027-01-01T00:00:00Z&to=2028-01-03T00:00:00Z', ['from', 'to']],
    ['an unknown currency', `${JANUARY}&currency=XYZ`, ['currency']],
    ['a lower-case currency', `${JANUARY}&currency=cny`, ['currency']],
    ['an unknown parameter', `${JANUARY}&vendor=x`, ['vendor']],
  ])('refuses %s with 400 VALIDATION_FAILED naming the fields', async (_case, query, fields) => {
    const answer = await get(query);
    expect({ status: answer.status, type: answer.headers['content-type'], code: answer.body.code }).toEqual({
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
      code: 'VALIDATION_FAILED',
    });
    expect(answer.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(fields);
  });

  it('says why a period is refused', async () => {
    const backwards = await get('?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z');
    expect(backwards.body.errors).toEqual([
      { field: 'from', problems: ['from must be before to'] },
      { field: 'to', problems: ['from must be before to'] },
    ]);
    const long = await get('?from=2027-01-01T00:00:00Z&to=2028-01-03T00:00:00Z');
    expect(long.body.errors[0].problems).toEqual(['the period from from to to must be at most 366 days']);
    // A leap year's 366 days are one period.
    expect((await get('?from=2028-01-01T00:00:00Z&to=2029-01-01T00:00:00Z')).status).toBe(200);
  });

  it('is the vendor’s alone: a buyer is 403, no key 401, as on GET /v1/balance', async () => {
    for (const url of ['/v1/balance', `/v1/balance/statement${JANUARY}`]) {
      expect([(await harness.inject({ method: 'GET', url, key: buyerKey })).body.code, (await harness.inject({ method: 'GET', url })).status]).toEqual(['FORBIDDEN', 401]);
    }
  });

  it("gives an operator a vendor's statement at /v1/admin/organizations/:id/statement, with the same query and checks", async () => {
    const admin = (path: string, key: string | undefined = harness.adminKey) => harness.inject({ method: 'GET', url: `/v1/admin/organizations/${path}`, key });
    const operator = await admin(`${vendorId}/statement${JANUARY}`);
    expect({ status: operator.status, body: operator.body }).toEqual({ status: 200, body: (await get(JANUARY)).body });
    // The same 400s as the vendor's route, and a bad id.
    const backwards = await admin(`${vendorId}/statement?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z`);
    expect({ status: backwards.status, fields: backwards.body.errors.map((e: { field: string }) => e.field) }).toEqual({ status: 400, fields: ['from', 'to'] });
    expect((await admin(`not-a-uuid/statement${JANUARY}`)).status).toBe(400);
    // An id of no organization, or of a buyer, names no vendor.
    expect((await admin(`7d3f0a52-1c2b-4e5f-8a9b-0c1d2e3f4a5b/statement${JANUARY}`)).body.code).toBe('NOT_FOUND');
    expect((await admin(`${buyerId}/statement${JANUARY}`)).body.code).toBe('NOT_FOUND');
    expect((await admin(`${vendorId}/statement${JANUARY}&vendorOrganizationId=${vendorId}`)).status).toBe(400);
    // Only operators: the vendor itself is 403 here (it has its own route), a buyer 403, no key 401.
    expect([(await admin(`${vendorId}/statement${JANUARY}`, vendorKey)).status, (await admin(`${vendorId}/statement${JANUARY}`, buyerKey)).status, (await admin(`${vendorId}/statement${JANUARY}`, '')).status]).toEqual([403, 403, 401]);
    // The vendor's own route takes no vendor to read.
    expect((await get(`${JANUARY}&vendorOrganizationId=${vendorId}`)).status).toBe(400);
  });
});
