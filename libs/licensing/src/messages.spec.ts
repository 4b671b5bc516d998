import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { OfferLicensing } from './offer';
import { templateProblems } from './template-rules';
import { LICENSE_TEMPLATES } from './templates';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

/** Every message a 400 would carry for this offer's license. */
function messages(license: object): string[] {
  const walk = (errors: ValidationError[]): string[] => errors.flatMap((e) => [...Object.values(e.constraints ?? {}), ...walk(e.children ?? [])]);
  return walk(validateSync(plainToInstance(OfferLicensing, { license, pricing: { model: 'one_time', price: { amount: 100, currency: 'CNY' } } }), OPTIONS));
}

const terms = { uses: ['evaluation'], termMonths: 3, territories: ['CN'], seats: 5, exclusive: false };

describe('what a vendor reads when an offer license is refused', () => {
  it.each([
    ['evaluation', 'an evaluation license cannot grant model_training'],
    ['research', 'a research license cannot grant'],
    ['commercial', 'a commercial license'],
  ])('names the %s template with the right article', (template, expected) => {
    const problems = templateProblems(template as 'evaluation', { ...terms, uses: ['model_training', 'evaluation', 'redistribution'], exclusive: true });
    expect(problems.join('; ')).toContain(expected);
  });

  it('never writes "a" before a template name that starts with a vowel sound', () => {
    for (const template of LICENSE_TEMPLATES) {
      const problems = templateProblems(template, { ...terms, uses: ['redistribution'], exclusive: true });
      for (const problem of problems) expect(problem).not.toMatch(/\ba [aeiou]/i);
    }
  });

  it('says a territory is listed twice, as the other messages read', () => {
    expect(messages({ template: 'evaluation', terms: { ...terms, territories: ['CN', 'CN'] } })).toEqual(['territories must not list a territory twice']);
  });

  it('says a use is listed twice, as the other messages read', () => {
    expect(messages({ template: 'evaluation', terms: { ...terms, uses: ['evaluation', 'evaluation'] } })).toEqual(['uses must not list a use twice']);
  });
});
