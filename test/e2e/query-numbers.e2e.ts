import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

/**
 * Integers in query strings as a client with a bug sends them. `Number()` reads `0x10` as 16,
 * `1e1` as 10, ` 5` and `+5` as 5 and an empty value as 0: each must be a 400 problem+json
 * naming the field, on search (the catalog) and on the lists of other services, while the
 * decimal form keeps working.
 */
describe('integers in query strings', () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering'], env: { LOG_LEVEL: 'warn' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  /** The answer to `path` is 400 problem+json whose errors name `field` alone. */
  async function expectRefused(path: string, field: string, as: 'admin' | 'anonymous' = 'admin'): Promise<void> {
    const response = await system.request(path, { as });
    const body = await json<{ code: string; status: number; errors?: { field: string }[] }>(response);
    expect({ path, status: response.status, type: response.headers.get('content-type'), code: body.code, fields: body.errors?.map((e) => e.field) }).toEqual({
      path,
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
      code: 'VALIDATION_FAILED',
      fields: [field],
    });
  }

  // What Number() makes of each: 16, 10, 5, 5, 5, 5, 3, 0, and two values for one parameter.
  const NOT_DECIMAL = ['0x10', '1e1', '%205', '5%20', '%2B5', '5.0', '0b11', '', '05', '5&limit=6'];

  it.each(NOT_DECIMAL)('GET /v1/datasets?limit=%s is 400 naming limit', async (limit) => {
    await expectRefused(`/v1/datasets?limit=${limit}`, 'limit', 'anonymous');
  });

  it.each(['0x10', '1e3', '%2B5', '5.0', '', '9007199254740993', '5&maxPrice=6'])('GET /v1/datasets?maxPrice=%s is 400 naming maxPrice', async (maxPrice) => {
    await expectRefused(`/v1/datasets?maxPrice=${maxPrice}`, 'maxPrice', 'anonymous');
  });

  it.each(NOT_DECIMAL)("ordering's GET /v1/orders?limit=%s is 400 naming limit", async (limit) => {
    await expectRefused(`/v1/orders?limit=${limit}`, 'limit');
  });

  it('takes the decimal forms', async () => {
    for (const path of ['/v1/datasets?limit=10', '/v1/datasets?maxPrice=5000000', '/v1/datasets?maxPrice=9007199254740991', '/v1/orders?limit=10']) {
      const response = await system.request(path, { as: path.startsWith('/v1/datasets') ? 'anonymous' : 'admin' });
      expect({ path, status: response.status, items: (await json<{ items: unknown }>(response)).items }).toEqual({ path, status: 200, items: expect.any(Array) });
    }
  });

  it('pages by the decimal limit it was given', async () => {
    for (const name of ['北京语料科技有限公司', '上海标注数据有限公司']) {
      const signUp = await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'data@example.cn' }) });
      expect(signUp.status).toBe(201);
    }
    const page = await json<{ items: unknown[]; nextCursor: string | null }>(await system.request('/v1/admin/audit?limit=1'));
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    await expectRefused('/v1/admin/audit?limit=0x1', 'limit');
  });
});
