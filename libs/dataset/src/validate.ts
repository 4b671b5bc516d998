import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';
import { DatasetMetadata } from './metadata';

/** The same options as the services' edges: unknown fields are refused, not dropped. */
export const METADATA_VALIDATOR_OPTIONS: ValidatorOptions = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

/** One field and what is wrong with it; `field` is a dotted path (`speech.genderMix.female`). */
export interface FieldProblem {
  field: string;
  problems: string[];
}

export function fieldProblems(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return own.concat(fieldProblems(error.children ?? [], field));
  });
}

export type MetadataValidation = { ok: true; metadata: DatasetMetadata } | { ok: false; problems: FieldProblem[] };

/**
 * Validates a vendor's metadata object: on success the typed metadata with canonical language
 * tags, otherwise every field that is wrong (unknown modality or language, negative volumes,
 * unknown fields, a profile that does not fit the modality).
 */
export function validateDatasetMetadata(input: unknown): MetadataValidation {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, problems: [{ field: 'metadata', problems: ['metadata must be a JSON object'] }] };
  }
  const metadata = plainToInstance(DatasetMetadata, input);
  const errors = validateSync(metadata, METADATA_VALIDATOR_OPTIONS);
  return errors.length === 0 ? { ok: true, metadata } : { ok: false, problems: fieldProblems(errors) };
}
