import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiDocument, serializeOpenApi } from '../src/openapi/generate';

type Field = { nullable?: boolean; oneOf?: Field[]; allOf?: Field[]; $ref?: string };

describe('the committed OpenAPI document', () => {
  it('is what the code generates (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8');
    expect(serializeOpenApi(await generateOpenApiDocument())).toBe(committed);
  });

  /**
   * What a client generated from the document, or a strict OpenAPI 3.0 validator (Ajv reads
   * `nullable` as OpenAPI defines it: beside a `type`), accepts: every field the API answers as
   * null (a payout without a destination, an entitlement without an allowance, a search hit sold
   * only per unit) must take null, and a field that is never null must refuse it.
   */
  it('lets every field documented as nullable be null for a strict validator, and no other', async () => {
    const document = await generateOpenApiDocument();
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'trove-openapi.json', components: document.components });
    const schemas = document.components!.schemas as Record<string, { properties?: Record<string, Field> }>;
    const fieldFits = (schema: string, field: string, value: unknown) =>
      ajv.validate({ $ref: `trove-openapi.json#/components/schemas/${schema}/properties/${field}` }, value);

    const nullable: string[] = [];
    const refusedNull: string[] = [];
    for (const [schema, { properties = {} }] of Object.entries(schemas)) {
      for (const [field, declared] of Object.entries(properties)) {
        if (!(declared.nullable || declared.oneOf?.some((member) => member.nullable))) continue;
        nullable.push(`${schema}.${field}`);
        if (!fieldFits(schema, field, null)) refusedNull.push(`${schema}.${field}`);
      }
    }
    expect(nullable).toEqual(expect.arrayContaining(['PayoutDto.destination', 'EntitlementDto.allowance', 'DatasetSearchHit.lowestPrice', 'DeadLetterDto.aggregate']));
    expect(refusedNull).toEqual([]);

    // Nowhere in the document (array items, nested schemas, responses) is null declared beside a reference a validator would still apply to it.
    const nullBesideReference: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${where}[${i}]`));
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Field & { type?: string };
      if (schema.nullable && (schema.allOf || schema.$ref || !schema.type)) nullBesideReference.push(where);
      for (const [key, value] of Object.entries(node)) walk(value, `${where}.${key}`);
    };
    walk(document, '$');
    expect(nullBesideReference).toEqual([]);

    // The same fields still take their object, and only it; a field never null refuses null.
    expect(fieldFits('DatasetSearchHit', 'lowestPrice', { amount: 129_900, currency: 'CNY' })).toBe(true);
    expect(fieldFits('DatasetSearchHit', 'lowestPrice', '1299.00')).toBe(false);
    expect(fieldFits('SaleDto', 'price', null)).toBe(false);
  });
});
