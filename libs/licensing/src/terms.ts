import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
  ValidateIf,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { isISO31661Alpha2 } from 'class-validator';

/** What a buyer may do with the data. A license grants a set of these, nothing implied. */
export const LICENSE_USES = [
  'model_training',
  'fine_tuning',
  'evaluation',
  'commercial_deployment',
  'sell_model_outputs',
  'derivatives',
  'redistribution',
] as const;
export type LicenseUse = (typeof LICENSE_USES)[number];

/**
 * Territories are ISO 3166-1 alpha-2 codes. `CN` is mainland China: Hong Kong (`HK`), Macao
 * (`MO`) and Taiwan (`TW`) have codes of their own and are granted only when listed.
 * `WORLDWIDE` stands alone and covers every code.
 */
export const WORLDWIDE = 'WORLDWIDE';
export type Territory = string;

export function isTerritoryCode(value: unknown): value is Territory {
  return value === WORLDWIDE || (typeof value === 'string' && /^[A-Z]{2}$/.test(value) && isISO31661Alpha2(value));
}

/** Longest term a license may state in months (100 years); longer is `perpetual` (null). */
export const MAX_TERM_MONTHS = 1200;
/** Most seats, and most downloads of each file, terms may count; more is `null` (unlimited). */
export const MAX_TERMS_COUNT = 1_000_000;

function IsTerritoryList(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isTerritoryList',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate(value: unknown) {
          if (!Array.isArray(value)) return false;
          if (!value.every(isTerritoryCode)) return false;
          return !(value.includes(WORLDWIDE) && value.length > 1);
        },
        defaultMessage(args: ValidationArguments) {
          return `${args.property} must be upper-case ISO 3166-1 alpha-2 codes (CN is mainland China), or ["${WORLDWIDE}"] alone`;
        },
      },
    });
}

/** Machine-readable license terms: what the buyer may do, where, for how long, by how many. */
export class LicenseTerms {
  @ApiProperty({ enum: LICENSE_USES, isArray: true, example: ['model_training', 'fine_tuning', 'evaluation'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique({ message: 'uses must not list a use twice' })
  @IsIn(LICENSE_USES, { each: true })
  uses: LicenseUse[];

  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: MAX_TERM_MONTHS,
    description: 'Months from the grant; null is perpetual',
    example: 12,
  })
  @ValidateIf((terms: LicenseTerms) => terms.termMonths !== null)
  @IsInt({ message: 'termMonths must be an integer number of months, or null for perpetual' })
  @Min(1)
  @Max(MAX_TERM_MONTHS)
  termMonths: number | null;

  @ApiProperty({
    type: [String],
    description: 'ISO 3166-1 alpha-2 codes (CN is mainland China; HK, MO, TW are separate), or ["WORLDWIDE"]',
    example: ['CN'],
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(250)
  @ArrayUnique({ message: 'territories must not list a territory twice' })
  @IsTerritoryList()
  territories: Territory[];

  @ApiProperty({ type: 'integer', nullable: true, minimum: 1, maximum: MAX_TERMS_COUNT, description: 'Named users; null is unlimited', example: 10 })
  @ValidateIf((terms: LicenseTerms) => terms.seats !== null)
  @IsInt({ message: 'seats must be an integer, or null for unlimited' })
  @Min(1)
  @Max(MAX_TERMS_COUNT)
  seats: number | null;

  @ApiProperty({ description: 'No other exclusive grant of this dataset may overlap in territory and time' })
  @IsBoolean()
  exclusive: boolean;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: MAX_TERMS_COUNT, description: 'Copies of each file: downloads served from its first byte, and its bytes in all (ranges included) at most this many times its size plus a tenth for resumes (16 MiB at most); absent or null is unlimited' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TERMS_COUNT)
  downloadLimit?: number | null;

  @ApiPropertyOptional({ description: 'The buyer must credit the vendor when it shares the data or results' })
  @IsOptional()
  @IsBoolean()
  attributionRequired?: boolean;
}

/** The plain shape of terms, for code that holds them from a database row or an event. */
export type LicenseTermsValue = Pick<LicenseTerms, 'uses' | 'termMonths' | 'territories' | 'seats' | 'exclusive'> &
  Partial<Pick<LicenseTerms, 'downloadLimit' | 'attributionRequired'>>;
