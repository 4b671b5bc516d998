import { withDatabase } from '../../../test/support/postgres';
import { GatewayHarness } from './gateway-harness';

jest.setTimeout(120_000);

/**
 * What an organization signs up with, operators read in their queue. An email address with a
 * right-to-left override (`sales<U+202E>@moc.elpmaxe` shows as `sales@example.com`) or an
 * invisible character passed the email check and was stored as typed.
 */
describe('signing up', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await GatewayHarness.start();
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const organizations = async () => withDatabase(harness.gatewayDb.url, async (c) => Number((await c.query(`SELECT count(*) FROM organization`)).rows[0].count));
  const signUp = (contactEmail: string) =>
    harness.inject({ method: 'POST', url: '/v1/organizations', key: harness.adminKey, body: { name: '深圳数据交易所 会员单位', kind: 'vendor', contactEmail } });

  it.each([
    ['a right-to-left override', 'sales\u202e@moc.elpmaxe'],
    ['a zero-width space', 'bd@exa\u200bmple.cn'],
    ['a soft hyphen', 'bd@exam\u00adple.cn'],
    ['a word joiner', 'b\u2060d@example.cn'],
    ['a right-to-left mark', 'a\u200f@example.com'],
    ['a zero-width joiner', 'bd@exa\u200dmple.cn'],
    ['a variation selector', 'bd\ufe0f@example.cn'],
    ['a blank braille cell', 'bd@example.cn\u2800'],
  ])('refuses a contact email with %s as 400 naming it, and signs nobody up', async (_what, contactEmail) => {
    const before = await organizations();
    const answer = await signUp(contactEmail);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'contactEmail', problems: expect.arrayContaining([expect.stringMatching(/bidirectional|invisible/)]) }] });
    expect(await organizations()).toBe(before);
  });

  it.each([
    ['full-width letters', '\uff41\uff42@example.com', /reads as ab@example\.com/],
    ['a Cyrillic е in a Latin domain', 'a@\u0435xample.com', /Cyrillic or Greek/],
    ['a Cyrillic а for the whole name', '\u0430@b.co', /reads as "a"/],
  ])('refuses a contact email with %s, which reads as an address it is not, and signs nobody up', async (_what, contactEmail, problem) => {
    const before = await organizations();
    const answer = await signUp(contactEmail);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'contactEmail', problems: expect.arrayContaining([expect.stringMatching(problem)]) }] });
    expect(await organizations()).toBe(before);
  });

  it('signs up with an address in Chinese or Cyrillic written whole in its script', async () => {
    expect((await signUp('数据采购@例子.中国')).status).toBe(201);
    expect((await signUp('иван@пример.рф')).status).toBe(201);
  });

  it('signs up with an ordinary address, as written', async () => {
    const answer = await signUp('  data-sales@szdex-member.example.cn ');
    expect(answer.status).toBe(201);
    expect(answer.body.organization).toMatchObject({ contactEmail: 'data-sales@szdex-member.example.cn', status: 'pending' });
  });
});
