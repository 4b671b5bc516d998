import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { AtMost, MaxDecimals, NoRepeats, OptionalCount, OptionalHours, OptionalNested, OptionalRatio, OptionalWords, SharesAtMostOne } from './field-rules';
import { NoneReadAlike } from './read-alike';
import {
  ACCURACY_LEVELS,
  COMPONENT_MODALITIES,
  LIDAR_SENSORS,
  MULTIMODAL_ALIGNMENTS,
  RECORDING_DEVICES,
  RECORDING_ENVIRONMENTS,
  SCENES,
  SPEECH_STYLES,
  type AccuracyLevel,
  type ComponentModality,
  type LidarSensor,
  type MultimodalAlignment,
  type RecordingDevice,
  type RecordingEnvironment,
  type Scene,
  type SpeechStyle,
} from './vocabulary';

/** Free-text labels such as dialect names (`四川话 Sichuanese`): at most 30, each 1-60 characters. */
function OptionalLabels(description: string, example?: string[]): PropertyDecorator {
  return (target, key) => {
    ApiPropertyOptional({ type: [String], maxItems: 30, uniqueItems: true, minLength: 1, maxLength: 60, description: `${description}: at most 30, each 1-60 characters`, example })(target, key);
    IsOptional()(target, key);
    IsArray()(target, key);
    ArrayMaxSize(30)(target, key);
    NoneReadAlike('a label')(target, key);
    IsString({ each: true })(target, key);
    Length(1, 60, { each: true })(target, key);
  };
}

export class GenderMix {
  @OptionalRatio('Share of female speakers', 0.52)
  female?: number;

  @OptionalRatio('Share of male speakers', 0.48)
  male?: number;

  @OptionalRatio('Share not recorded or other')
  unspecified?: number;
}

/** Shares of speakers by age band (years). */
export class AgeMix {
  @OptionalRatio('Under 18 (minors: sensitive personal information)')
  under18?: number;

  @OptionalRatio('18 to 30', 0.35)
  age18to30?: number;

  @OptionalRatio('31 to 45', 0.4)
  age31to45?: number;

  @OptionalRatio('46 to 60', 0.2)
  age46to60?: number;

  @OptionalRatio('Over 60', 0.05)
  over60?: number;
}

export const TIMESTAMP_LEVELS = ['none', 'utterance', 'word', 'phoneme'] as const;
export type TimestampLevel = (typeof TIMESTAMP_LEVELS)[number];

export class TranscriptionQuality {
  @ApiProperty({ minimum: 0, maximum: 1, description: 'Measured accuracy, 0 to 1', example: 0.98 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(4)
  @Min(0)
  @Max(1)
  accuracy: number;

  @ApiProperty({ enum: ACCURACY_LEVELS, description: 'What the accuracy counts: whole sentences, words or characters', example: 'sentence' })
  @IsIn(ACCURACY_LEVELS)
  level: AccuracyLevel;

  @ApiPropertyOptional({ enum: TIMESTAMP_LEVELS, example: 'utterance' })
  @IsOptional()
  @IsIn(TIMESTAMP_LEVELS)
  timestamps?: TimestampLevel;
}

export class SpeechProfile {
  @OptionalHours('Hours of audio, at most 2 decimals', 1505.5)
  hours?: number;

  @OptionalCount('Utterances (segments with a transcript)', 1_200_000)
  utterances?: number;

  @OptionalCount('Distinct speakers', 3000)
  speakers?: number;

  @OptionalNested(() => GenderMix, 'Shares of speakers by gender; they add up to at most 1')
  @SharesAtMostOne()
  genderMix?: GenderMix;

  @OptionalNested(() => AgeMix, 'Shares of speakers by age band; they add up to at most 1')
  @SharesAtMostOne()
  ageMix?: AgeMix;

  @OptionalLabels('Dialects, by name', ['四川话 Sichuanese', '粤语 Cantonese'])
  dialects?: string[];

  @OptionalLabels('Accents, by name', ['北方口音 Northern accent'])
  accents?: string[];

  @OptionalWords(SPEECH_STYLES, 'Read prompts, free talk, conversation, voice commands')
  styles?: SpeechStyle[];

  @ApiPropertyOptional({ type: 'integer', minimum: 8000, maximum: 384000, example: 16000 })
  @IsOptional()
  @IsInt()
  @Min(8000)
  @Max(384_000)
  sampleRateHz?: number;

  @ApiPropertyOptional({ enum: [8, 16, 24, 32], example: 16 })
  @IsOptional()
  @IsIn([8, 16, 24, 32])
  bitDepth?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 64, example: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  channels?: number;

  @OptionalWords(RECORDING_DEVICES, 'Devices recorded with')
  recordingDevices?: RecordingDevice[];

  @OptionalWords(RECORDING_ENVIRONMENTS, 'Where it was recorded')
  environments?: RecordingEnvironment[];

  @OptionalNested(() => TranscriptionQuality, 'The transcription and its measured accuracy')
  transcription?: TranscriptionQuality;
}

export class Resolution {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100_000, example: 1920 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  width: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100_000, example: 1080 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  height: number;
}

export class ImageProfile {
  @OptionalCount('Images', 250_000)
  images?: number;

  @OptionalNested(() => Resolution, 'Smallest image')
  @AtMost('maxResolution')
  minResolution?: Resolution;

  @OptionalNested(() => Resolution, 'Largest image')
  maxResolution?: Resolution;

  @OptionalWords(SCENES, 'What the images show')
  scenes?: Scene[];

  @OptionalCount('Annotated objects (boxes, polygons, ...)', 3_400_000)
  annotatedObjects?: number;

  @OptionalCount('Label classes', 42)
  classes?: number;

  @OptionalRatio('Audited annotation accuracy', 0.97)
  annotationAccuracy?: number;
}

export class VideoProfile {
  @OptionalCount('Video clips', 12_000)
  videos?: number;

  @OptionalHours('Hours of video, at most 2 decimals', 820)
  hours?: number;

  @OptionalCount('Frames', 8_856_000)
  frames?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000, description: 'Frames per second, at most 2 decimals', example: 30 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(2)
  @Min(0)
  @Max(1000)
  frameRate?: number;

  @OptionalNested(() => Resolution, 'Smallest frame')
  @AtMost('maxResolution')
  minResolution?: Resolution;

  @OptionalNested(() => Resolution, 'Largest frame')
  maxResolution?: Resolution;

  @OptionalWords(SCENES, 'What the videos show')
  scenes?: Scene[];

  @OptionalCount('Frames carrying annotations', 420_000)
  @AtMost('frames')
  annotatedFrames?: number;

  @OptionalRatio('Audited annotation accuracy', 0.96)
  annotationAccuracy?: number;
}

export class TextProfile {
  @OptionalCount('Documents (articles, records, pairs count apart)', 2_000_000)
  documents?: number;

  @OptionalCount('Tokens, counted with `tokenizer`', 15_000_000_000)
  tokens?: number;

  @ApiPropertyOptional({ description: 'What tokens were counted with', example: 'cl100k_base', minLength: 1, maxLength: 60 })
  @IsOptional()
  @IsString()
  @Length(1, 60)
  tokenizer?: string;

  @OptionalCount('Longest document in tokens (long-context sets)', 128_000)
  @AtMost('tokens')
  maxDocumentTokens?: number;

  @OptionalCount('SFT instruction-answer pairs', 500_000)
  sftPairs?: number;

  @OptionalCount('Preference pairs (chosen / rejected)', 120_000)
  preferencePairs?: number;

  @OptionalRatio("Agreement between raters (e.g. Cohen's kappa or share agreeing)", 0.82)
  raterAgreement?: number;
}

export class DialogueProfile extends TextProfile {
  @OptionalCount('Conversations', 300_000)
  @AtMost('turns')
  dialogues?: number;

  @OptionalCount('Turns over all conversations', 4_200_000)
  turns?: number;
}

export class PointCloudProfile {
  @OptionalCount('Point-cloud frames', 200_000)
  frames?: number;

  @OptionalCount('Average points per frame', 120_000)
  pointsPerFrame?: number;

  @OptionalWords(LIDAR_SENSORS, 'Sensors')
  sensors?: LidarSensor[];

  @OptionalCount('Laser beams (lines) of the lidar', 128)
  beams?: number;

  @OptionalCount('Cameras synchronized with the point clouds', 7)
  synchronizedCameras?: number;

  @OptionalWords(SCENES, 'What the scans show')
  scenes?: Scene[];

  @OptionalCount('Annotated objects (3D boxes, ...)', 5_600_000)
  annotatedObjects?: number;

  @OptionalRatio('Audited annotation accuracy', 0.98)
  annotationAccuracy?: number;
}

export class MultimodalProfile {
  @ApiProperty({ enum: COMPONENT_MODALITIES, isArray: true, minItems: 2, uniqueItems: true, description: 'At least two; each has its own profile too', example: ['image', 'text'] })
  @IsArray()
  @ArrayMinSize(2)
  @NoRepeats()
  @IsIn(COMPONENT_MODALITIES, { each: true })
  components: ComponentModality[];

  @ApiPropertyOptional({ enum: MULTIMODAL_ALIGNMENTS, example: 'paired' })
  @IsOptional()
  @IsIn(MULTIMODAL_ALIGNMENTS)
  alignment?: MultimodalAlignment;

  @OptionalCount('Aligned records (image-text pairs, clips with transcripts)', 10_000_000)
  pairs?: number;
}
