import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
  isISO31661Alpha2,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { Compliance } from './compliance';
import { NoRepeats, OptionalCount, OptionalRatio, OptionalWords } from './field-rules';
import { IsLanguageTag, canonicalizeLanguageTags } from './language';
import { NoneReadAlike, trimEachLine } from './read-alike';
import { DialogueProfile, ImageProfile, MultimodalProfile, PointCloudProfile, SpeechProfile, TextProfile, VideoProfile } from './profiles';
import {
  ANNOTATION_TYPES,
  COLLECTION_METHODS,
  DOMAINS,
  MODALITIES,
  type AnnotationType,
  type CollectionMethod,
  type ComponentModality,
  type Domain,
  type Modality,
} from './vocabulary';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** An ISO 3166-1 alpha-2 country or ISO 3166-2 subdivision code: CN, CN-SC. */
const REGION = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;
/**
 * ISO 3166-2:CN, the provinces, autonomous regions, municipalities and special administrative
 * regions (as revised in 2017: two letters each). Where most listings are collected, so their
 * codes are checked in full; another country's subdivision is checked by its country code alone.
 */
const CN_SUBDIVISIONS = new Set(
  'AH BJ CQ FJ GD GS GX GZ HA HB HE HI HK HL HN JL JS JX LN MO NM NX QH SC SD SH SN SX TJ TW XJ XZ YN ZJ'.split(' ').map((code) => `CN-${code}`),
);

/** An ISO 3166-1 alpha-2 code, or an ISO 3166-2 code of a country that exists (in full for China). */
export function isRegionCode(value: unknown): boolean {
  if (typeof value !== 'string' || !REGION.test(value)) return false;
  const [country, subdivision] = value.split('-');
  if (!isISO31661Alpha2(country)) return false;
  return subdivision === undefined || country !== 'CN' || CN_SUBDIVISIONS.has(value);
}

function IsRegionCodes(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isRegionCodes',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every(isRegionCode),
        defaultMessage: (args: ValidationArguments) => {
          const wrong = Array.isArray(args.value) ? args.value.filter((v) => !isRegionCode(v)) : [];
          return `regions must be ISO 3166 codes such as CN or CN-SC (Sichuan)${wrong.length > 0 ? `; not ${wrong.slice(0, 5).map((v) => JSON.stringify(v)).join(', ')}` : ''}`;
        },
      },
    });
}
/** A format name: wav, jsonl, tar.gz. */
const FORMAT = /^[a-z0-9][a-z0-9.+-]{0,19}$/;

function NotBefore(other: string): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notBefore',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const start = (args.object as Record<string, unknown>)[other];
          return typeof value !== 'string' || typeof start !== 'string' || value >= start;
        },
        defaultMessage: (args: ValidationArguments) => `${args.property} must not be before ${other}`,
      },
    });
}

/**
 * A date that has come somewhere on Earth: at most today's date at UTC+14, so a vendor anywhere
 * can name its own today. A collection cannot have started, nor ended, on a day still to come
 * (a listing said its collection ran until 2999).
 */
function NotInFuture(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notInFuture',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || value <= new Date(Date.now() + 14 * 3_600_000).toISOString().slice(0, 10),
        defaultMessage: (args: ValidationArguments) => `${args.property} must not be a day still to come: the period says when the data was collected (leave out to while collection goes on)`,
      },
    });
}

/** When the data was collected; `to` left out while collection goes on. Dates are YYYY-MM-DD. */
export class CollectionPeriod {
  @ApiProperty({ format: 'date', example: '2023-03-01' })
  @Matches(DATE, { message: 'from must be a date YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'from must be a date YYYY-MM-DD' })
  @NotInFuture()
  from: string;

  @ApiPropertyOptional({ format: 'date', example: '2024-06-30' })
  @IsOptional()
  @Matches(DATE, { message: 'to must be a date YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'to must be a date YYYY-MM-DD' })
  @NotBefore('from')
  @NotInFuture()
  to?: string;
}

export class Collection {
  @ApiProperty({ enum: COLLECTION_METHODS, isArray: true, minItems: 1, uniqueItems: true, example: ['crowdsourced_recording'] })
  @IsArray()
  @ArrayNotEmpty()
  @NoRepeats()
  @IsIn(COLLECTION_METHODS, { each: true })
  methods: CollectionMethod[];

  @ApiPropertyOptional({ type: () => CollectionPeriod })
  @IsOptional()
  @ValidateNested()
  @Type(() => CollectionPeriod)
  period?: CollectionPeriod;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    uniqueItems: true,
    pattern: REGION.source,
    description: 'Where: ISO 3166-1 alpha-2 or ISO 3166-2 codes (CN, CN-SC for Sichuan, CN-GD for Guangdong), at most 100',
    example: ['CN-SC', 'CN-GD'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @NoRepeats()
  @IsRegionCodes()
  regions?: string[];
}

/** Quality figures that apply whatever the modality. */
export class QualityFigures {
  @OptionalRatio('Audited annotation accuracy', 0.98)
  annotationAccuracy?: number;

  @OptionalRatio('Inter-annotator agreement', 0.86)
  interAnnotatorAgreement?: number;

  @OptionalCount('Records audited to measure the figures above', 5000)
  auditedSampleSize?: number;
}

/** Which profile field goes with which modality. */
export const PROFILE_FIELDS = {
  speech: 'speech',
  image: 'image',
  video: 'video',
  text: 'text',
  dialogue: 'dialogue',
  point_cloud: 'pointCloud',
} as const satisfies Record<ComponentModality, string>;

/**
 * A modality's profile is required when the dataset is of that modality (or multimodal with it
 * as a component), and refused otherwise, so a speech dataset cannot carry image figures.
 */
function ProfileOf(component: ComponentModality | 'multimodal'): PropertyDecorator {
  const wanted = (metadata: DatasetMetadata): boolean => {
    if (component === 'multimodal') return metadata.modality === 'multimodal';
    if (metadata.modality === component) return true;
    const components = metadata.modality === 'multimodal' ? metadata.multimodal?.components : undefined;
    return Array.isArray(components) && components.includes(component);
  };
  return (target, propertyName) =>
    registerDecorator({
      name: 'profileOfModality',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const metadata = args.object as DatasetMetadata;
          if (!(MODALITIES as readonly unknown[]).includes(metadata.modality)) return true; // modality reports itself
          return (value !== undefined && value !== null) === wanted(metadata);
        },
        defaultMessage(args: ValidationArguments) {
          return wanted(args.object as DatasetMetadata)
            ? `${args.property} is required for a ${(args.object as DatasetMetadata).modality} dataset`
            : `${args.property} does not belong to a ${(args.object as DatasetMetadata).modality} dataset`;
        },
      },
    });
}

/**
 * The metadata a vendor declares for a dataset: what buyers filter on and compare. Fields
 * common to every modality, then one profile per modality (`speech` for a speech dataset;
 * a multimodal one has `multimodal` and a profile per component).
 */
export class DatasetMetadata {
  @ApiProperty({ enum: MODALITIES, example: 'speech' })
  @IsIn(MODALITIES)
  modality: Modality;

  @ApiPropertyOptional({ type: [String], minItems: 1, maxItems: 50, uniqueItems: true, description: 'BCP 47 tags, canonicalized (zh-cn -> zh-CN), 1 to 50; two that canonicalize alike are one too many. Left out for data without language (an empty list is refused)', example: ['zh-CN', 'yue'] })
  @IsOptional()
  @Transform(({ value }) => canonicalizeLanguageTags(value))
  @IsArray()
  @ArrayNotEmpty({ message: 'languages must not be empty: leave the field out for data without language' })
  @ArrayMaxSize(50)
  @ArrayUnique({ message: 'languages must not name a language twice; tags are compared canonicalized (zh-cn is zh-CN, cmn is zh)' })
  @IsLanguageTag({ each: true })
  languages?: string[];

  @ApiProperty({ enum: DOMAINS, example: 'telecom' })
  @IsIn(DOMAINS)
  domain: Domain;

  @OptionalWords(ANNOTATION_TYPES, 'What the annotation marks')
  annotationTypes?: AnnotationType[];

  @ApiProperty({ type: () => Collection })
  @IsDefined()
  @ValidateNested()
  @Type(() => Collection)
  collection: Collection;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: 20,
    uniqueItems: true,
    pattern: FORMAT.source,
    description: 'File formats, lower case (wav, flac, jpg, jsonl, parquet, pcd), 1 to 20',
    example: ['wav', 'jsonl'],
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @NoRepeats()
  @Matches(FORMAT, { each: true, message: 'formats must be lower-case format names such as wav, jpg, jsonl' })
  formats: string[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: 30,
    uniqueItems: true,
    minLength: 1,
    maxLength: 40,
    description: 'At most 30, each 1-40 characters once trimmed; none twice, compared as a reader reads them (trimmed, NFKC-folded, case-insensitive: `ASR`, `asr` and `ＡＳＲ` are one tag)',
    example: ['普通话', 'ASR', '客服'],
  })
  @IsOptional()
  // Stored trimmed, as names are: `普通话 ` is the tag `普通话`, and a blank one is empty.
  @Transform(trimEachLine)
  @IsArray()
  @ArrayMaxSize(30)
  @NoneReadAlike('a tag')
  @IsString({ each: true })
  @Length(1, 40, { each: true })
  tags?: string[];

  @ApiProperty({ type: () => Compliance })
  @IsDefined()
  @ValidateNested()
  @Type(() => Compliance)
  compliance: Compliance;

  @ApiPropertyOptional({ type: () => QualityFigures })
  @IsOptional()
  @ValidateNested()
  @Type(() => QualityFigures)
  quality?: QualityFigures;

  @ApiPropertyOptional({ type: () => SpeechProfile })
  @ProfileOf('speech')
  @ValidateNested()
  @Type(() => SpeechProfile)
  speech?: SpeechProfile;

  @ApiPropertyOptional({ type: () => ImageProfile })
  @ProfileOf('image')
  @ValidateNested()
  @Type(() => ImageProfile)
  image?: ImageProfile;

  @ApiPropertyOptional({ type: () => VideoProfile })
  @ProfileOf('video')
  @ValidateNested()
  @Type(() => VideoProfile)
  video?: VideoProfile;

  @ApiPropertyOptional({ type: () => TextProfile })
  @ProfileOf('text')
  @ValidateNested()
  @Type(() => TextProfile)
  text?: TextProfile;

  @ApiPropertyOptional({ type: () => DialogueProfile })
  @ProfileOf('dialogue')
  @ValidateNested()
  @Type(() => DialogueProfile)
  dialogue?: DialogueProfile;

  @ApiPropertyOptional({ type: () => PointCloudProfile })
  @ProfileOf('point_cloud')
  @ValidateNested()
  @Type(() => PointCloudProfile)
  pointCloud?: PointCloudProfile;

  @ApiPropertyOptional({ type: () => MultimodalProfile })
  @ProfileOf('multimodal')
  @ValidateNested()
  @Type(() => MultimodalProfile)
  multimodal?: MultimodalProfile;
}
