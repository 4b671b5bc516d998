import { CommonErrorCode } from '@trove/contracts';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { Reflector } from '@nestjs/core';
import { ACCESS_RULE, MAX_REPORTED_FIELDS, ServiceException, type AccessRule } from '@trove/platform';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';

/** What a handler reads of the request, from its parameter decorators. */
interface Reads {
  body: boolean;
  /**
   * `all`: a query class (`@Query()`), whose pipe refuses unknown parameters, or an
   * infrastructure route (health, metrics), left to whatever its prober appends; else the names
   * read one by one (`@Query('name')`).
   */
  query: 'all' | Set<string>;
}

/**
 * Input a route never reads is refused, as a route refuses fields its body or query class does
 * not know, instead of being dropped unseen while the call answers 200:
 * - a body with fields sent to a route that takes none: `{"reason": "资质齐全"}` sent to approve a
 *   vendor, or to confirm a top-up, was dropped and the caller believed a note was recorded that
 *   nobody would ever read. No body, and `{}`, are what such a route takes;
 * - any body sent with a GET or HEAD, which nothing parses;
 * - a query parameter sent to a route that takes none or not that one (`GET /v1/me?organization=…`,
 *   `GET /v1/orders/:id?expand=items`): the caller believes it asked for something it did not get.
 * Runs after the guards (a caller without a key is still a 401) and before the handler.
 */
@Injectable()
export class NoBodyInterceptor implements NestInterceptor {
  /** Per handler, looked up once. */
  private readonly reads = new WeakMap<object, Reads>();

  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      const reads = this.readsOf(context);
      // A GET's body is never parsed: `GET /v1/wallet` with `{"currency":"USD"}` answered the
      // CNY wallet, 200. Whatever it holds, it is refused (Content-Length: 0 is no body).
      if ((request.method === 'GET' || request.method === 'HEAD') && sendsBody(request)) {
        throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, `A ${request.method} request takes no body: send what it asks for in the query string.`, [
          { field: 'body', problems: ['this request takes no body'] },
        ]);
      }
      const body = request.body;
      if (body !== null && typeof body === 'object' && !reads.body) {
        const fields = Object.keys(body);
        if (fields.length > 0) throw notTaken('body', fields);
      }
      if (reads.query !== 'all' && request.query !== null && typeof request.query === 'object') {
        const allowed = reads.query;
        const unknown = Object.keys(request.query).filter((name) => !allowed.has(name));
        if (unknown.length > 0) throw notTaken('query', unknown);
      }
    }
    return next.handle();
  }

  private readsOf(context: ExecutionContext): Reads {
    const handler = context.getHandler();
    let reads = this.reads.get(handler);
    if (reads === undefined) {
      const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, { data?: unknown }>;
      const of = (type: RouteParamtypes) => Object.entries(params).filter(([key]) => Number(key.split(':')[0]) === type).map(([, param]) => param.data);
      const queries = of(RouteParamtypes.QUERY);
      const infrastructure = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler, context.getClass()])?.kind === 'infrastructure';
      reads = {
        body: of(RouteParamtypes.BODY).length > 0,
        query: infrastructure || queries.some((name) => typeof name !== 'string') ? 'all' : new Set(queries as string[]),
      };
      this.reads.set(handler, reads);
    }
    return reads;
  }
}

/** The request comes with bytes of a body: a Content-Length above zero, or chunks. */
function sendsBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
}

function notTaken(where: 'body' | 'query', fields: string[]): ServiceException {
  const problem = where === 'body' ? 'this request takes no body' : 'this route takes no such query parameter';
  const named = fields.slice(0, MAX_REPORTED_FIELDS).map((field) => ({ field: field.length > 120 ? `${field.slice(0, 120)}…` : field, problems: [problem] }));
  const more = fields.length - named.length;
  const list = `${named.map((f) => f.field).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return new ServiceException(
    CommonErrorCode.VALIDATION_FAILED,
    where === 'body'
      ? `This request takes no body: send none, or {}. ${list}${more > 0 ? ' fields' : ''} would be ignored.`
      : `This route takes no query parameter ${list}: it would be ignored.`,
    named,
  );
}
