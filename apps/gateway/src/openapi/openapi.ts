import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { serviceVersion } from '@trove/platform';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ComponentHealthDto, ServiceHealthDto } from '../operations/admin-health.dto';
import { ProblemDto } from './problem.dto';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']> & { 'x-trove-access'?: { public?: boolean } };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Every operation states its security: the role-guarded ones an API key (their access
 * decorator adds it), the public ones a key or none (`security: [{}, {apiKey: []}]`): a public
 * route answers anyone, and a caller's key may show it more (a vendor's own draft listing, its
 * samples and open versions) and is checked when sent (401 for a bad one). A client generated
 * from `security: []` never sent its key there. A route with neither would be a gap in the
 * access rules.
 */
function declareSecurity(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      if (operation['x-trove-access']?.public) {
        operation.security = [{}, { apiKey: [] }];
        operation.responses['401'] ??= {
          description: 'A key was sent and is not valid (UNAUTHENTICATED); the route needs none',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
        };
      }
      else if (!operation.security?.length) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is neither public nor guarded by roles`);
    }
  }
  return document;
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } } });

/**
 * What the HTTP edge answers before any route runs, on every route alike (docs/operations.md,
 * "Errors"): a client generated from the document knows these statuses too. Routes that take a
 * body also refuse one that is too large or not JSON in UTF-8.
 */
const EDGE_PROBLEMS: Record<string, string> = {
  '408': 'The request did not arrive within HTTP_REQUEST_TIMEOUT_MS (VALIDATION_FAILED); the connection is closed',
  '414': 'A path parameter is longer than 100 characters (VALIDATION_FAILED)',
  '431': 'The headers are larger than 16 KiB (VALIDATION_FAILED)',
};
/**
 * Every route refuses what it does not read: a query parameter, or a body where it takes none
 * (docs/operations.md). A route that takes no body is read as JSON first, so a body too large
 * or not JSON is refused as on any other route; only GET and HEAD have none of that read.
 */
const UNREAD_PROBLEM = 'A query parameter the route does not read, a body where it takes none, or a field that breaks its rules (VALIDATION_FAILED)';
const BODY_PROBLEMS: Record<string, string> = {
  '413': 'The body is larger than allowed (PAYLOAD_TOO_LARGE)',
  '415': 'The body is not JSON in UTF-8 (UNSUPPORTED_MEDIA_TYPE)',
};

function declareEdgeProblems(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const statuses = { ...EDGE_PROBLEMS, '400': UNREAD_PROBLEM, ...(operation.requestBody || (method !== 'get' && method !== 'head') ? BODY_PROBLEMS : {}) };
      for (const [status, description] of Object.entries(statuses)) operation.responses[status] ??= problem(description);
    }
  }
  return document;
}

/**
 * A route ending in `*` (a file's path, several segments) is documented as `{path}`; its
 * parameter comes out named `*`, which no client generator can use: it is named `path` too.
 */
function nameWildcards(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.endsWith('/{path}')) continue;
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      for (const parameter of operation?.parameters ?? []) {
        if ('name' in parameter && parameter.name === '*') {
          parameter.name = 'path';
          parameter.description = "The file's path, each segment percent-encoded (`audio/zh-CN/%E6%99%AE%E9%80%9A%E8%AF%9D_0001.wav`)";
        }
      }
    }
  }
  return document;
}

type SchemaObject = {
  $ref?: string;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  nullable?: boolean;
  type?: string;
  enum?: unknown[];
  description?: string;
  properties?: Record<string, SchemaObject>;
  items?: SchemaObject;
  additionalProperties?: boolean | SchemaObject;
};

/**
 * An object field that may be null (`PayoutDto.destination`, a search hit's `lowestPrice`)
 * comes out of the decorators as `{nullable: true, type: 'object', allOf: [{$ref}]}`. In OpenAPI
 * 3.0 `nullable` adds null only to the `type` beside it, and `allOf` still asks null to be the
 * referenced object: a strict validator, and a client generated from the document, refuse the
 * null the API answers. Each such schema, wherever it is (a property, an array's items, a map's
 * values, nested), is written as one of the object or null instead.
 */
function nullableObjects(document: OpenAPIObject): OpenAPIObject {
  const rewrite = (schema: SchemaObject): SchemaObject => {
    for (const [name, field] of Object.entries(schema.properties ?? {})) schema.properties![name] = rewrite(field);
    if (schema.items) schema.items = rewrite(schema.items);
    if (typeof schema.additionalProperties === 'object') schema.additionalProperties = rewrite(schema.additionalProperties);
    for (const key of ['allOf', 'oneOf', 'anyOf'] as const) if (schema[key]) schema[key] = schema[key].map(rewrite);
    const [ref, ...rest] = schema.allOf ?? [];
    if (!schema.nullable || !ref?.$ref || rest.length > 0) return schema;
    return { ...(schema.description ? { description: schema.description } : {}), oneOf: [{ $ref: ref.$ref }, { type: 'object', nullable: true, enum: [null] }] };
  };
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  for (const [name, schema] of Object.entries(schemas)) schemas[name] = rewrite(schema);
  return document;
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Trove API')
    .setDescription(
      'The open marketplace for AI training data: vendors list datasets with license offers, buyers search, ' +
        'accept a license, pay and download, operators approve and settle. Errors are application/problem+json; ' +
        'every response carries x-correlation-id.',
    )
    .setVersion(serviceVersion())
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: trv_…' }, 'apiKey')
    .addServer('/', 'The gateway that serves this document')
    .build();
  return nullableObjects(nameWildcards(declareEdgeProblems(declareSecurity(SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto, ServiceHealthDto, ComponentHealthDto] })))));
}

const UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trove API</title>
<link rel="icon" href="/docs/favicon-32x32.png"><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/docs-json', dom_id: '#ui', deepLinking: true, persistAuthorization: true });</script>
</body></html>`;

/**
 * OpenAPI JSON at /docs-json and the interactive page at /docs, served from swagger-ui-dist on
 * disk: no CDN, so the page works inside networks that reach nothing outside.
 */
export function serveOpenApi(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  const uiRoot = dirname(require.resolve('swagger-ui-dist/package.json'));
  const files = new Map(Object.keys(UI_FILES).map((name) => [name, readFileSync(join(uiRoot, name))]));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/docs-json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(document));
  fastify.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  fastify.get<{ Params: { file: string } }>('/docs/:file', async (request, reply) => {
    const body = files.get(request.params.file);
    if (!body) return reply.callNotFound();
    return reply.type(UI_FILES[request.params.file]).header('cache-control', 'public, max-age=86400').send(body);
  });
}
