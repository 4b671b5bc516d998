import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiDocument, serializeOpenApi } from '../src/openapi/generate';

describe('the committed OpenAPI document', () => {
  it('is what the code generates (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8');
    expect(serializeOpenApi(await generateOpenApiDocument())).toBe(committed);
  });
});
