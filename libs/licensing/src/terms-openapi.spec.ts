import 'reflect-metadata';
import { getMetadataStorage, validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { LicenseTerms } from './terms';

/** Where `@ApiProperty` keeps a field's schema (`DECORATORS.API_MODEL_PROPERTIES` of @nestjs/swagger, which it does not export). */
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';

/** The bounds the OpenAPI document shows for a field of LicenseTerms. */
function documented(property: string): { minimum?: number; maximum?: number } {
  return (Reflect.getMetadata(API_MODEL_PROPERTIES, LicenseTerms.prototype, property) ?? {}) as { minimum?: number; maximum?: number };
}

/** The bound the API refuses past, as class-validator holds it (`@Min`, `@Max`). */
function enforced(property: string, name: 'min' | 'max'): number | undefined {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(LicenseTerms, '', true, false);
  return metadata.find((m) => m.propertyName === property && m.name === name)?.constraints[0] as number | undefined;
}

describe('license terms as the OpenAPI document shows them', () => {
  it.each(['seats', 'downloadLimit', 'termMonths'])('%s shows the bounds the API holds it to', (property) => {
    expect(documented(property).minimum).toBe(enforced(property, 'min'));
    expect(documented(property).maximum).toBe(enforced(property, 'max'));
  });

  it.each(['seats', 'downloadLimit'])('%s takes 1000000 and refuses one more', (property) => {
    const terms = { uses: ['evaluation'], termMonths: 3, territories: ['CN'], seats: 5, exclusive: false };
    const errors = (value: number) => validateSync(plainToInstance(LicenseTerms, { ...terms, [property]: value })).map((e) => e.property);
    expect(errors(1_000_000)).toEqual([]);
    expect(errors(1_000_001)).toEqual([property]);
    expect(documented(property).maximum).toBe(1_000_000);
  });
});
