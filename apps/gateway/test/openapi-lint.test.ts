import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOpenApiDocument, serializeOpenApi } from '../src/openapi/generate';
import { ORGANIZATION_KINDS, ORGANIZATION_STATUSES, ROLES, SIGN_UP_KINDS } from '@trove/contracts';
import type { OpenAPIObject } from '@nestjs/swagger';

// Child processes on a machine shared with other test files.
jest.setTimeout(30_000);

const ROOT = join(__dirname, '..', '..', '..');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer?: string }[];
}

/** `redocly lint` with its recommended rules, as .ci/run runs it, over the document the code generates. */
function lint(document: OpenAPIObject): LintProblem[] {
  const dir = mkdtempSync(join(tmpdir(), 'trove-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, serializeOpenApi(document));
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'redocly'), ['lint', file, '--extends', 'recommended', '--format', 'json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const json = run.stdout.slice(run.stdout.indexOf('{'));
    return (JSON.parse(json) as { problems: LintProblem[] }).problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  let document: OpenAPIObject;

  beforeAll(async () => {
    document = await generateOpenApiDocument();
  });

  it('passes redocly lint (recommended rules) without errors', () => {
    const errors = lint(document)
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
  });

  it('says which operations take a key or none (security: [{}, {apiKey: []}], with the 401 a bad key gets) and which need one', () => {
    const signUp = document.paths['/v1/organizations'].post!;
    expect(signUp.security).toEqual([{}, { apiKey: [] }]);
    expect(Object.keys(document.paths['/v1/datasets/{id}/samples/{sampleId}'].get!.responses)).toContain('401');
    expect(document.paths['/v1/me'].get!.security).toEqual([{ apiKey: [] }]);
    expect(document.servers?.map((s) => s.url)).toContain('/');
  });

  it('offers exactly the identity values the contracts define', () => {
    const schemas = document.components!.schemas as Record<string, { properties: Record<string, { enum?: string[] }> }>;
    expect(schemas.SignUpDto.properties.kind.enum).toEqual([...SIGN_UP_KINDS]);
    expect(schemas.OrganizationDto.properties.kind.enum).toEqual([...ORGANIZATION_KINDS]);
    expect(schemas.OrganizationDto.properties.status.enum).toEqual([...ORGANIZATION_STATUSES]);
    expect(schemas.MeDto.properties.role.enum).toEqual([...ROLES]);
  });
});
