import 'reflect-metadata';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { OfferLicensing, effectiveTerms } from './offer';
import { LICENSE_TEMPLATES, LICENSE_TEMPLATE_DEFINITIONS, defaultTerms } from './templates';
import type { LicenseTermsValue } from './terms';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

function wrongFields(body: unknown): string[] {
  const walk = (errors: ValidationError[], parent: string): string[] =>
    errors.flatMap((e) => {
      const field = parent ? `${parent}.${e.property}` : e.property;
      return [...(e.constraints ? [field] : []), ...walk(e.children ?? [], field)];
    });
  return walk(validateSync(plainToInstance(OfferLicensing, body), OPTIONS), '');
}

const price = { amount: 12_800_000, currency: 'CNY' };
const commercialTerms: LicenseTermsValue = {
  uses: ['model_training', 'fine_tuning', 'evaluation', 'commercial_deployment'],
  termMonths: 24,
  territories: ['CN', 'HK'],
  seats: 50,
  exclusive: false,
};
const offer = (license: object, pricing: object = { model: 'one_time', price }) => ({ license, pricing });

describe('an offer: {license: {template, terms}, pricing}', () => {
  it.each<[string, object]>([
    ['commercial with the template defaults', offer({ template: 'commercial' })],
    ['commercial with its own terms', offer({ template: 'commercial', terms: commercialTerms })],
    ['evaluation only, 3 months, 5 seats', offer({ template: 'evaluation', terms: { uses: ['evaluation'], termMonths: 3, territories: ['CN'], seats: 5, exclusive: false, downloadLimit: 3 } })],
    ['research, perpetual, worldwide, unlimited seats', offer({ template: 'research', terms: { uses: ['model_training', 'evaluation'], termMonths: null, territories: ['WORLDWIDE'], seats: null, exclusive: false } })],
    ['exclusive commercial for mainland China', offer({ template: 'commercial_exclusive', terms: { ...commercialTerms, exclusive: true } })],
    ['a yearly subscription', offer({ template: 'commercial' }, { model: 'subscription', price: { amount: 36_000_000, currency: 'CNY' }, period: 'year' })],
    ['a monthly subscription in USD', offer({ template: 'research' }, { model: 'subscription', price: { amount: 99_900, currency: 'USD' }, period: 'month' })],
    ['metered per hour of speech', offer({ template: 'commercial' }, { model: 'metered', price: { amount: 35_000, currency: 'CNY' }, unit: 'hour' })],
    ['metered per thousand tokens', offer({ template: 'commercial' }, { model: 'metered', price: { amount: 2, currency: 'CNY' }, unit: '1k_tokens' })],
    ['a free CC BY 4.0 listing', offer({ template: 'cc-by-4.0' }, { model: 'free' })],
    ['a free listing with price null', offer({ template: 'cc-by-4.0' }, { model: 'free', price: null })],
    ['a one-time price with period and unit null', offer({ template: 'commercial' }, { model: 'one_time', price, period: null, unit: null })],
    ['a quarterly subscription to a 3-month evaluation (one period, the whole term)', offer({ template: 'evaluation' }, { model: 'subscription', price, period: 'quarter' })],
    ['a yearly subscription to a 12-month research license', offer({ template: 'research' }, { model: 'subscription', price, period: 'year' })],
    ['a yearly subscription to an 18-month term (the last period is cut)', offer({ template: 'commercial', terms: { ...commercialTerms, termMonths: 18 } }, { model: 'subscription', price, period: 'year' })],
    ['a free CDLA-Permissive-2.0 listing with its defaults spelled out', offer({ template: 'cdla-permissive-2.0', terms: defaultTerms('cdla-permissive-2.0') }, { model: 'free' })],
  ])('accepts %s', (_case, body) => {
    expect(wrongFields(body)).toEqual([]);
  });

  it.each<[string, object, string[]]>([
    ['an unknown template', offer({ template: 'enterprise' }), ['license.template']],
    ['no license', { pricing: { model: 'one_time', price } }, ['license']],
    ['no pricing', { license: { template: 'commercial' } }, ['pricing']],
    ['an unknown field beside license', { ...offer({ template: 'commercial' }), status: 'published' }, ['status']],
    ['an unknown field in terms', offer({ template: 'commercial', terms: { ...commercialTerms, vendorId: 'x' } }), ['license.terms.vendorId']],
    ['an unknown use', offer({ template: 'commercial', terms: { ...commercialTerms, uses: ['resale'] } }), ['license.terms.uses']],
    ['no uses', offer({ template: 'commercial', terms: { ...commercialTerms, uses: [] } }), ['license.terms.uses']],
    ['a term of 0 months', offer({ template: 'commercial', terms: { ...commercialTerms, termMonths: 0 } }), ['license.terms.termMonths']],
    ['a term left out (perpetual is null)', offer({ template: 'commercial', terms: { ...commercialTerms, termMonths: undefined } }), ['license.terms.termMonths']],
    ['"perpetual" as a word', offer({ template: 'commercial', terms: { ...commercialTerms, termMonths: 'perpetual' } }), ['license.terms.termMonths']],
    ['a lower-case territory', offer({ template: 'commercial', terms: { ...commercialTerms, territories: ['cn'] } }), ['license.terms.territories']],
    ['a territory that is not a country', offer({ template: 'commercial', terms: { ...commercialTerms, territories: ['XX'] } }), ['license.terms.territories']],
    ['CN-mainland (CN already is mainland China)', offer({ template: 'commercial', terms: { ...commercialTerms, territories: ['CN-mainland'] } }), ['license.terms.territories']],
    ['WORLDWIDE beside a country', offer({ template: 'commercial', terms: { ...commercialTerms, territories: ['WORLDWIDE', 'CN'] } }), ['license.terms.territories']],
    ['no territory', offer({ template: 'commercial', terms: { ...commercialTerms, territories: [] } }), ['license.terms.territories']],
    ['zero seats', offer({ template: 'commercial', terms: { ...commercialTerms, seats: 0 } }), ['license.terms.seats']],
    ['a download limit of 0', offer({ template: 'commercial', terms: { ...commercialTerms, downloadLimit: 0 } }), ['license.terms.downloadLimit']],
    ['exclusivity as a string', offer({ template: 'commercial', terms: { ...commercialTerms, exclusive: 'yes' } }), ['license.terms.exclusive']],
    ['training under an evaluation license', offer({ template: 'evaluation', terms: { ...commercialTerms, uses: ['evaluation', 'model_training'] } }), ['license.terms']],
    ['commercial deployment under a research license', offer({ template: 'research', terms: { ...commercialTerms, uses: ['commercial_deployment'] } }), ['license.terms']],
    ['an exclusive grant under the commercial template', offer({ template: 'commercial', terms: { ...commercialTerms, exclusive: true } }), ['license.terms']],
    ['a non-exclusive grant under commercial_exclusive', offer({ template: 'commercial_exclusive', terms: commercialTerms }), ['license.terms']],
    ['CC BY 4.0 narrowed to mainland China', offer({ template: 'cc-by-4.0', terms: { ...defaultTerms('cc-by-4.0'), territories: ['CN'] } }, { model: 'free' }), ['license.terms']],
    ['a price of zero', offer({ template: 'commercial' }, { model: 'one_time', price: { amount: 0, currency: 'CNY' } }), ['pricing.price.amount']],
    ['a negative price', offer({ template: 'commercial' }, { model: 'one_time', price: { amount: -100, currency: 'CNY' } }), ['pricing.price.amount']],
    ['a price in yuan with decimals', offer({ template: 'commercial' }, { model: 'one_time', price: { amount: 1299.5, currency: 'CNY' } }), ['pricing.price.amount']],
    ['a price as a bare number', offer({ template: 'commercial' }, { model: 'one_time', price: 129900 }), ['pricing.price']],
    ['no price', offer({ template: 'commercial' }, { model: 'one_time' }), ['pricing.price']],
    ['a null price', offer({ template: 'commercial' }, { model: 'one_time', price: null }), ['pricing.price']],
    ['an unknown currency', offer({ template: 'commercial' }, { model: 'one_time', price: { amount: 100, currency: 'RMB' } }), ['pricing.price.currency']],
    ['an unknown pricing model', offer({ template: 'commercial' }, { model: 'auction', price }), ['pricing.model']],
    ['a subscription without a period', offer({ template: 'commercial' }, { model: 'subscription', price }), ['pricing.period']],
    ['a subscription with period null', offer({ template: 'commercial' }, { model: 'subscription', price, period: null }), ['pricing.period']],
    ['a weekly subscription', offer({ template: 'commercial' }, { model: 'subscription', price, period: 'week' }), ['pricing.period']],
    ['a period on a one-time price', offer({ template: 'commercial' }, { model: 'one_time', price, period: 'month' }), ['pricing.period']],
    ['metered without a unit', offer({ template: 'commercial' }, { model: 'metered', price }), ['pricing.unit']],
    ['metered per an unknown unit', offer({ template: 'commercial' }, { model: 'metered', price, unit: 'token' }), ['pricing.unit']],
    ['a unit on a subscription', offer({ template: 'commercial' }, { model: 'subscription', price, period: 'month', unit: 'hour' }), ['pricing.unit']],
    ['a yearly subscription to a 3-month evaluation (a year charged for 3 months)', offer({ template: 'evaluation' }, { model: 'subscription', price, period: 'year' }), ['pricing']],
    ['a quarterly subscription to a 2-month term', offer({ template: 'commercial', terms: { ...commercialTerms, termMonths: 2 } }, { model: 'subscription', price, period: 'quarter' }), ['pricing']],
    ['a free commercial license', offer({ template: 'commercial' }, { model: 'free' }), ['pricing']],
    ['a priced open license', offer({ template: 'cc-by-4.0' }), ['pricing']],
    ['a free offer with a price', offer({ template: 'cc-by-4.0' }, { model: 'free', price }), ['pricing.price']],
    ['an unknown field in pricing', offer({ template: 'commercial' }, { model: 'one_time', price, discount: 10 }), ['pricing.discount']],
  ])('refuses %s', (_case, body, fields) => {
    expect(wrongFields(body)).toEqual(fields);
  });
});

describe('license templates', () => {
  it.each(LICENSE_TEMPLATES)('%s: its default terms are a valid offer of it', (template) => {
    const pricing = LICENSE_TEMPLATE_DEFINITIONS[template].open ? { model: 'free' } : { model: 'one_time', price };
    expect(wrongFields(offer({ template, terms: defaultTerms(template) }, pricing))).toEqual([]);
  });

  it('gives a copy of the defaults, so changing it changes no template', () => {
    const terms = defaultTerms('commercial');
    terms.uses.push('redistribution');
    terms.territories.push('HK');
    expect(defaultTerms('commercial').uses).not.toContain('redistribution');
    expect(defaultTerms('commercial').territories).toEqual(['CN']);
  });

  it.each<[Parameters<typeof effectiveTerms>[0], LicenseTermsValue]>([
    [{ template: 'evaluation' }, defaultTerms('evaluation')],
    [{ template: 'research', terms: null }, defaultTerms('research')],
    [{ template: 'commercial', terms: { ...commercialTerms } }, commercialTerms],
  ])('an offer grants its own terms or its template defaults (%p)', (license, terms) => {
    expect(effectiveTerms(license)).toEqual(terms);
  });

  it.each([
    ['cc-by-4.0', 'CC-BY-4.0', 'https://creativecommons.org/licenses/by/4.0/'],
    ['cdla-permissive-2.0', 'CDLA-Permissive-2.0', 'https://cdla.dev/permissive-2-0/'],
  ] as const)('%s is an open license with SPDX id %s', (template, spdx, url) => {
    expect(LICENSE_TEMPLATE_DEFINITIONS[template]).toMatchObject({ open: true, spdx, url });
  });
});

describe('an offer on any input', () => {
  const paths = ['license', 'license.template', 'license.terms', 'license.terms.uses', 'license.terms.territories', 'license.terms.termMonths', 'pricing', 'pricing.model', 'pricing.price', 'pricing.price.amount', 'pricing.period', 'pricing.unit'];

  function withChanges(changes: Record<string, unknown>): Record<string, unknown> {
    const body = structuredClone(offer({ template: 'commercial', terms: commercialTerms })) as Record<string, unknown>;
    for (const [path, value] of Object.entries(changes)) {
      const keys = path.split('.');
      const last = keys.pop() as string;
      let node = body;
      for (const key of keys) {
        if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
      node[last] = value;
    }
    return body;
  }

  it('answers with wrong fields and never throws, whatever a client sends', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), (changes) => {
        wrongFields(withChanges(changes));
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
