import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON, unknown fields, wrong types or a non-UUID id (VALIDATION_FAILED)',
  401: 'No API key, or one that is not valid (UNAUTHENTICATED)',
  403: 'The key lacks the role (FORBIDDEN), is a read key on a method other than GET or HEAD (KEY_READ_ONLY), or its organization is suspended (ORGANIZATION_SUSPENDED) or awaits approval (ORGANIZATION_PENDING)',
  404: 'No such object, or not one the caller may see (NOT_FOUND)',
  409: 'The change collides with the current data (CONFLICT) or the object is not in a state that allows it (INVALID_STATE)',
  413: 'The body is larger than allowed (PAYLOAD_TOO_LARGE)',
  422: 'Well-formed but not acceptable; where the route takes Idempotency-Key, also that key sent before with another body (IDEMPOTENCY_KEY_REUSED)',
  429: 'Too many requests; see Retry-After (RATE_LIMITED)',
  503: 'A service behind the gateway did not answer in time, or its database took no request (SERVICE_UNAVAILABLE); send it again after Retry-After',
};

/** Documents the problem+json answers a route can give. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } } }),
    ),
  );
}
