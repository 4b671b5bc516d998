import { CommonErrorCode } from '@trove/contracts';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MAX_REPORTED_FIELDS, ServiceException } from '@trove/platform';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';

/**
 * A route that takes no body refuses a body with fields, as a route with a body refuses fields
 * it does not know: `{"reason": "资质齐全"}` sent to approve a vendor, or to confirm a top-up,
 * was dropped unseen and the call answered 200, so the caller believed a note was recorded that
 * nobody would ever read. No body, and `{}`, are what such a route takes.
 * Runs after the guards (a caller without a key is still a 401) and before the handler.
 */
@Injectable()
export class NoBodyInterceptor implements NestInterceptor {
  /** Per handler: whether it reads a body (`@Body()`), looked up once. */
  private readonly takesBody = new WeakMap<object, boolean>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const body = context.switchToHttp().getRequest<FastifyRequest>().body;
      if (body !== null && typeof body === 'object' && !this.readsBody(context)) {
        const fields = Object.keys(body);
        if (fields.length > 0) throw noBodyTaken(fields);
      }
    }
    return next.handle();
  }

  private readsBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let reads = this.takesBody.get(handler);
    if (reads === undefined) {
      const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, unknown>;
      reads = Object.keys(params).some((key) => Number(key.split(':')[0]) === RouteParamtypes.BODY);
      this.takesBody.set(handler, reads);
    }
    return reads;
  }
}

function noBodyTaken(fields: string[]): ServiceException {
  const named = fields.slice(0, MAX_REPORTED_FIELDS).map((field) => ({ field: field.length > 120 ? `${field.slice(0, 120)}…` : field, problems: ['this request takes no body'] }));
  const more = fields.length - named.length;
  return new ServiceException(
    CommonErrorCode.VALIDATION_FAILED,
    `This request takes no body: send none, or {}. ${named.map((f) => f.field).join(', ')}${more > 0 ? ` and ${more} more fields` : ''} would be ignored.`,
    named,
  );
}
