/**
 * Writes the OpenAPI document of the gateway without starting it (Nest's preview mode needs
 * no database or NATS): `npm run openapi` keeps docs/openapi.json current, and a test fails
 * when the committed document and the code disagree.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { writeFileSync } from 'node:fs';
import { AppModule } from '../app.module';
import { buildOpenApiDocument } from './openapi';

export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { preview: true, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

export function serializeOpenApi(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (require.main === module) {
  const target = process.argv[2] ?? 'docs/openapi.json';
  generateOpenApiDocument().then(
    (document) => {
      writeFileSync(target, serializeOpenApi(document));
      process.stdout.write(`wrote ${target}: ${Object.keys(document.paths).length} paths\n`);
    },
    (error: unknown) => {
      process.stderr.write(`openapi: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
