import 'reflect-metadata';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { CatalogModule } from './catalog.module';
import * as dto from './catalog.dto';

/**
 * Clients generate their validators from the OpenAPI document: every limit the catalog's request
 * bodies enforce (class-validator) must be declared there too, or a client's form takes a
 * 21st format, an empty tag or a size of 1.5 and only learns from the 400. Checked on every
 * schema a catalog route takes, nested ones included.
 */

/**
 * Schemas of libs/licensing (an offer's license and pricing), declared there and not checked here
 * yet: LicenseTerms' uses and territories (minItems, uniqueItems, maxItems 250), seats and
 * downloadLimit (maximum 1,000,000) and Price.amount (maximum) are enforced and not declared.
 */
const ELSEWHERE = new Set(['OfferLicense', 'LicenseTerms', 'Pricing', 'Price']);

/** Limits the document cannot state: property, and why. */
const UNSTATED: Record<string, string> = {
  'DataExchangeRegistration.number pattern': 'Unicode letter and digit classes (\\p{L}, \\p{N}) have no portable form in an OpenAPI pattern',
  'CollectionPeriod.from pattern': '`format: date` says it',
  'CollectionPeriod.to pattern': '`format: date` says it',
};

@Global()
@Module({
  providers: [
    { provide: RpcClient, useValue: {} },
    { provide: UnitOfWork, useValue: {} },
  ],
  exports: [RpcClient, UnitOfWork],
})
class NoBus {}

@Module({ imports: [NoBus, CatalogModule] })
class CatalogRoutes {}

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  [keyword: string]: unknown;
}

async function catalogDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(CatalogRoutes, new FastifyAdapter(), { preview: true, logger: false });
  try {
    return SwaggerModule.createDocument(app, new DocumentBuilder().build());
  } finally {
    await app.close();
  }
}

/** The names of the schemas the catalog's request bodies use, nested ones included. */
function requestSchemas(document: OpenAPIObject): Set<string> {
  const schemas = document.components!.schemas as Record<string, Schema>;
  const found = new Set<string>();
  const visit = (schema: Schema | undefined): void => {
    if (!schema) return;
    if (schema.$ref) {
      const name = schema.$ref.split('/').pop()!;
      if (found.has(name)) return;
      found.add(name);
      return visit(schemas[name]);
    }
    schema.allOf?.forEach(visit);
    visit(schema.items);
    Object.values(schema.properties ?? {}).forEach(visit);
  };
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      const body = (operation as { requestBody?: { content?: Record<string, { schema: Schema }> } }).requestBody;
      Object.values(body?.content ?? {}).forEach((media) => visit(media.schema));
    }
  }
  return found;
}

/** The keywords a validation rule needs in the schema of its property (or of its items, for `each`). */
function keywordsOf(rule: ValidationMetadata): [string, unknown][] {
  const [first, second] = (rule.constraints ?? []) as unknown[];
  switch (rule.name) {
    case 'maxLength':
      return [['maxLength', first]];
    case 'minLength':
      return [['minLength', first]];
    case 'isLength':
      return [...((first as number) > 0 ? [['minLength', first] as [string, unknown]] : []), ...(second === undefined ? [] : [['maxLength', second] as [string, unknown]])];
    case 'arrayMaxSize':
      return [['maxItems', first]];
    case 'arrayMinSize':
      return [['minItems', first]];
    case 'arrayNotEmpty':
      return [['minItems', 1]];
    case 'arrayUnique':
      return [['uniqueItems', true]];
    case 'isInt':
      return [['type', 'integer']];
    case 'min':
      return [['minimum', first]];
    case 'max':
      return [['maximum', first]];
    case 'matches':
      return [['pattern', (first as RegExp).source]];
    default:
      return [];
  }
}

/** Every class by the name Swagger gives its schema: the gateway's request DTOs, and every class holding rules of its own. */
function classesByName(): Map<string, new () => object> {
  const classes = new Map<string, new () => object>();
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<new () => object, ValidationMetadata[]> };
  for (const target of storage.validationMetadatas.keys()) classes.set(target.name, target);
  for (const value of Object.values(dto)) if (typeof value === 'function') classes.set(value.name, value as new () => object);
  return classes;
}

describe("the OpenAPI document of the catalog's request bodies", () => {
  it('declares every limit the gateway enforces on them, nested schemas included', async () => {
    const document = await catalogDocument();
    const schemas = document.components!.schemas as Record<string, Schema>;
    const classes = classesByName();
    const checked = [...requestSchemas(document)].filter((name) => !ELSEWHERE.has(name));
    expect(checked).toEqual(expect.arrayContaining(['CreateDatasetDto', 'UpdateDatasetDto', 'SpeechProfile', 'Compliance', 'Collection', 'CreateVersionDto', 'CreateUploadDto', 'VendorProfileInputDto']));

    const undeclared: string[] = [];
    for (const name of checked) {
      const cls = classes.get(name);
      if (!cls) throw new Error(`no class for the schema ${name}`);
      // With the rules of its parents: CreateDatasetDto's are declared on DatasetMetadata.
      for (const rule of getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false)) {
        const property = schemas[name].properties?.[rule.propertyName];
        if (!property) continue;
        const host = rule.each ? (property.items ?? {}) : property;
        for (const [keyword, value] of keywordsOf(rule)) {
          if (UNSTATED[`${name}.${rule.propertyName} ${keyword}`]) continue;
          if (host[keyword] !== value) undeclared.push(`${name}.${rule.propertyName}${rule.each ? '[]' : ''}: ${keyword} ${JSON.stringify(value)}, declared ${JSON.stringify(host[keyword])}`);
        }
      }
    }
    expect([...new Set(undeclared)]).toEqual([]);
  });
});
