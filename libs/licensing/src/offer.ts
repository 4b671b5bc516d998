import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, ValidateNested, registerDecorator, type ValidationArguments } from 'class-validator';
import { PERIOD_MONTHS, Pricing, type PricingValue } from './pricing';
import { templateProblems } from './template-rules';
import { LICENSE_TEMPLATES, LICENSE_TEMPLATE_DEFINITIONS, defaultTerms, isLicenseTemplate, type LicenseTemplate } from './templates';
import { LICENSE_USES, LicenseTerms, type LicenseTermsValue } from './terms';

/** Terms whose own fields are valid enough to judge against a template (else those fields report). */
function looksLikeTerms(value: unknown): value is LicenseTermsValue {
  const terms = value as LicenseTermsValue | undefined;
  return (
    !!terms &&
    Array.isArray(terms.uses) &&
    terms.uses.every((use) => (LICENSE_USES as readonly unknown[]).includes(use)) &&
    Array.isArray(terms.territories) &&
    typeof terms.exclusive === 'boolean'
  );
}

/** Terms must fit the sibling `template` (no commercial use under `research`, ...). */
function FitsTemplate(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'fitsLicenseTemplate',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const { template } = args.object as OfferLicense;
          if (!isLicenseTemplate(template) || !looksLikeTerms(value)) return true; // reported by the field's own rules
          return templateProblems(template, value).length === 0;
        },
        defaultMessage(args: ValidationArguments) {
          const { template } = args.object as OfferLicense;
          return templateProblems(template, args.value as LicenseTermsValue).join('; ');
        },
      },
    });
}

/** `{template, terms?}`: terms left out are the template's defaults. */
export class OfferLicense {
  @ApiProperty({ enum: LICENSE_TEMPLATES, example: 'commercial' })
  @IsIn(LICENSE_TEMPLATES)
  template: LicenseTemplate;

  @ApiPropertyOptional({ type: () => LicenseTerms, description: "Left out: the template's default terms" })
  @IsOptional()
  @ValidateNested()
  @Type(() => LicenseTerms)
  @FitsTemplate()
  terms?: LicenseTerms;
}

/** An open license goes with free pricing, and free pricing with an open license only. */
function FitsLicense(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'pricingFitsLicense',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const template = (args.object as OfferLicensing).license?.template;
          const model = (value as PricingValue | undefined)?.model;
          if (!isLicenseTemplate(template) || model === undefined) return true;
          return LICENSE_TEMPLATE_DEFINITIONS[template].open === (model === 'free');
        },
        defaultMessage(args: ValidationArguments) {
          const template = (args.object as OfferLicensing).license.template;
          return LICENSE_TEMPLATE_DEFINITIONS[template].open
            ? `an open license (${template}) is offered free: pricing.model must be free`
            : `a ${template} license needs a price: pricing.model cannot be free`;
        },
      },
    });
}

/**
 * The license's term in months when a subscription's period is longer than it, else null: such
 * a subscription charged a whole period (a year of a 3-month evaluation) for a license that
 * ended long before, and no renewal could follow.
 */
function periodPastTerm(licensing: OfferLicensing): number | null {
  const { license, pricing } = licensing;
  if (pricing?.model !== 'subscription' || !pricing.period || !(pricing.period in PERIOD_MONTHS) || !isLicenseTemplate(license?.template)) return null;
  const termMonths = license.terms && looksLikeTerms(license.terms) ? license.terms.termMonths : license.terms ? null : defaultTerms(license.template).termMonths;
  return typeof termMonths === 'number' && PERIOD_MONTHS[pricing.period] > termMonths ? termMonths : null;
}

/** A subscription's period fits within its license's term. */
function FitsTerm(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'periodFitsTerm',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => periodPastTerm(args.object as OfferLicensing) === null,
        defaultMessage(args: ValidationArguments) {
          const licensing = args.object as OfferLicensing;
          const months = PERIOD_MONTHS[licensing.pricing.period!];
          return `a subscription by the ${licensing.pricing.period} sells ${months} months at a time, longer than the license's term of ${periodPastTerm(licensing)} months: choose a shorter period, a longer terms.termMonths, or a one-time price`;
        },
      },
    });
}

/**
 * The licensing part of an offer, `{license, pricing}` as in `POST /v1/datasets/:id/offers`.
 * The offer request extends it with its own fields (requiresApproval, buyerOrgId, expiresAt).
 */
export class OfferLicensing {
  @ApiProperty({ type: () => OfferLicense })
  @IsDefined()
  @ValidateNested()
  @Type(() => OfferLicense)
  license: OfferLicense;

  @ApiProperty({ type: () => Pricing })
  @IsDefined()
  @ValidateNested()
  @Type(() => Pricing)
  @FitsLicense()
  @FitsTerm()
  pricing: Pricing;
}

/** The terms an offer's license really grants: its own, or its template's defaults. */
export function effectiveTerms(license: { template: LicenseTemplate; terms?: LicenseTermsValue | null }): LicenseTermsValue {
  return license.terms ?? defaultTerms(license.template);
}
