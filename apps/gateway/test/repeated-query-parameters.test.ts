import { GatewayHarness, HARNESS_START_TIMEOUT_MS } from './gateway-harness';

jest.setTimeout(60_000);

describe('a query parameter sent twice', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await GatewayHarness.start({});
  }, HARNESS_START_TIMEOUT_MS);

  afterAll(async () => {
    await harness?.stop();
  });

  const get = (url: string) => harness.inject({ method: 'GET', url, key: harness.adminKey });

  it.each([
    ['/v1/datasets?language=zh-CN&language=yue', 'language'],
    ['/v1/datasets?modality=speech&modality=image', 'modality'],
    ['/v1/datasets?q=%E6%99%AE%E9%80%9A%E8%AF%9D&q=%E7%B2%A4%E8%AF%AD', 'q'],
    ['/v1/datasets?limit=5&limit=6', 'limit'],
    ['/v1/admin/audit?action=organization.sign-up&action=api-key.revoke', 'action'],
    ['/v1/admin/organizations?kind=buyer&kind=vendor', 'kind'],
  ])('%s is 400 saying %s must be given once, not what the list is not', async (url, field) => {
    const answer = await get(url);
    expect({ status: answer.status, code: answer.body.code, errors: answer.body.errors }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field, problems: [`${field} must be given once`] }],
    });
  });

  it('names every repeated parameter together with what else is wrong, and leaves unknown ones to be refused as unknown', async () => {
    const repeated = await get('/v1/datasets?language=en&language=yue&domain=telecom&domain=energy&sort=newest');
    expect(repeated.status).toBe(400);
    expect(repeated.body.errors).toEqual([
      { field: 'language', problems: ['language must be given once'] },
      { field: 'domain', problems: ['domain must be given once'] },
    ]);
    // One answer for all of it: the client need not come back to learn of the rest.
    const more = await get('/v1/datasets?modality=speech&modality=image&sort=popular&maxPrice=-5&region=cn');
    expect(more.status).toBe(400);
    expect(more.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['maxPrice', 'modality', 'region', 'sort']);
    expect(more.body.errors.find((e: { field: string }) => e.field === 'modality')).toEqual({ field: 'modality', problems: ['modality must be given once'] });
    const unknown = await get('/v1/admin/audit?vendor=a&vendor=b');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: 'vendor', problems: ['this route takes no such query parameter'] }]);
  });

  it('still takes each parameter given once', async () => {
    const answer = await get('/v1/admin/audit?action=organization.sign-up&limit=5');
    expect(answer.status).toBe(200);
  });
});
