import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import {
  CROSS_BORDER_TRANSFER,
  DEIDENTIFICATION_METHODS,
  LEGAL_BASES,
  PERSONAL_INFORMATION_CATEGORIES,
  SENSITIVE_PERSONAL_INFORMATION,
  type CrossBorderTransfer,
  type DeidentificationMethod,
  type LegalBasis,
  type PersonalInformationCategory,
} from './vocabulary';
import { NoRepeats } from './field-rules';

/** `none` means the list is empty of everything else: it stands alone. */
function NoneStandsAlone(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'noneStandsAlone',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => !(Array.isArray(value) && value.includes('none') && value.length > 1),
        defaultMessage: (args: ValidationArguments) => `${args.property} cannot list "none" together with other values`,
      },
    });
}

/** The compliance problems of a legal basis given the personal information declared. */
export function legalBasisProblems(compliance: Pick<Compliance, 'personalInformation' | 'legalBasis'>): string[] {
  const categories = Array.isArray(compliance.personalInformation) ? compliance.personalInformation : [];
  const personal = categories.filter((c) => c !== 'none');
  const sensitive = personal.filter((c) => SENSITIVE_PERSONAL_INFORMATION.includes(c));
  if (personal.length > 0 && compliance.legalBasis === 'not_applicable') {
    return [`legalBasis cannot be not_applicable when the data holds personal information (${personal.join(', ')})`];
  }
  if (sensitive.length > 0 && (compliance.legalBasis === 'consent' || compliance.legalBasis === 'publicly_disclosed')) {
    return [`sensitive personal information (${sensitive.join(', ')}) needs separate_consent or another basis than ${compliance.legalBasis} (PIPL art. 29)`];
  }
  return [];
}

function FitsPersonalInformation(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'legalBasisFitsPersonalInformation',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => legalBasisProblems(args.object as Compliance).length === 0,
        defaultMessage: (args: ValidationArguments) => legalBasisProblems(args.object as Compliance).join('; '),
      },
    });
}

/** A listing on a data exchange (上海数据交易所, 深圳数据交易所, ...) and its registration number. */
export class DataExchangeRegistration {
  @ApiProperty({ example: '上海数据交易所 Shanghai Data Exchange', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  exchange: string;

  // No `pattern`: the rule's Unicode letter and digit classes (\p{L}, \p{N}) have no portable form in one.
  @ApiProperty({ example: 'SDE-2024-SP-000318', minLength: 1, maxLength: 64, description: 'Letters and digits of any script, and - _ / . after the first' })
  @IsString()
  @Length(1, 64)
  @Matches(/^[\p{L}\p{N}][\p{L}\p{N}\-_/.]*$/u, { message: 'number must be letters, digits and - _ / . only' })
  number: string;
}

/** What buyers and their compliance officers ask before they may train on the data. */
export class Compliance {
  @ApiProperty({ enum: PERSONAL_INFORMATION_CATEGORIES, isArray: true, minItems: 1, uniqueItems: true, description: '"none" alone when there is none', example: ['voice'] })
  @IsArray()
  @ArrayNotEmpty()
  @NoRepeats()
  @IsIn(PERSONAL_INFORMATION_CATEGORIES, { each: true })
  @NoneStandsAlone()
  personalInformation: PersonalInformationCategory[];

  @ApiProperty({ enum: LEGAL_BASES, description: 'Sensitive personal information needs separate_consent (PIPL art. 29)', example: 'separate_consent' })
  @IsIn(LEGAL_BASES)
  @FitsPersonalInformation()
  legalBasis: LegalBasis;

  @ApiPropertyOptional({ description: 'A signed consent record is kept for every data subject', example: true })
  @IsOptional()
  @IsBoolean()
  consentRecordsKept?: boolean;

  @ApiProperty({ enum: DEIDENTIFICATION_METHODS, isArray: true, minItems: 1, uniqueItems: true, description: '"none" alone when there is none', example: ['pseudonymized'] })
  @IsArray()
  @ArrayNotEmpty()
  @NoRepeats()
  @IsIn(DEIDENTIFICATION_METHODS, { each: true })
  @NoneStandsAlone()
  deidentification: DeidentificationMethod[];

  @ApiProperty({ enum: CROSS_BORDER_TRANSFER, description: 'restricted: the data stays in mainland China', example: 'restricted' })
  @IsIn(CROSS_BORDER_TRANSFER)
  crossBorderTransfer: CrossBorderTransfer;

  @ApiPropertyOptional({ type: () => DataExchangeRegistration, isArray: true, maxItems: 10, description: 'At most 10' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => DataExchangeRegistration)
  registrations?: DataExchangeRegistration[];
}
