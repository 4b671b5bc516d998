import type { NestFastifyApplication } from '@nestjs/platform-fastify';

const UUID_ANY_CASE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A UUID in a path is taken in either case, and passed on in lower case, as PostgreSQL writes
 * it. Ids are also compared as text (the key cache, delivery's revoked keys, audit records):
 * `DELETE /v1/api-keys/<ID IN UPPER CASE>` revoked the key in the database, but the replica's
 * cache kept the key for its second, and delivery recorded the revocation under the upper-case
 * text, so the download URLs signed for the key kept working.
 */
export function lowerCaseIdsInPaths(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) => {
      const params = request.params as Record<string, unknown> | undefined;
      if (params) {
        for (const [name, value] of Object.entries(params)) {
          if (typeof value === 'string' && UUID_ANY_CASE.test(value)) params[name] = value.toLowerCase();
        }
      }
      done();
    });
}
