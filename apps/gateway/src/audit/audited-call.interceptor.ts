import { CommonErrorCode } from '@trove/contracts';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { RequestContext, ServiceException, type AuditMark } from '@trove/platform';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { tap, type Observable } from 'rxjs';
import { createdId } from './audit.service';

/** Printable ASCII without spaces, as Stripe and the IETF draft allow; long enough for a UUID or a hash. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Sits on every state-changing (@Audited) route, after the guards. It hands the call's audit
 * mark to the unit of work, so the success record commits with the change; it gives the call
 * its idempotency key (the client's `Idempotency-Key`, or a new one), which every command the
 * call sends to a service carries; and a call that creates something is audited with the id of
 * what it created.
 */
@Injectable()
export class AuditedCallInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const store = RequestContext.current();
    const mark: AuditMark | undefined = request.audit;
    if (mark) {
      mark.successStatus = (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ?? (request.method === 'POST' ? 201 : 200);
      mark.ip = request.ip ?? null;
      if (store) store.audit = mark;
    }
    if (store) store.idempotencyKey = idempotencyKeyOf(request);
    return next.handle().pipe(
      tap((result: unknown) => {
        if (mark && !mark.targetId) mark.targetId = createdId(result);
      }),
    );
  }
}

/** The services scope the key by the caller's organization, so two tenants' keys never meet. */
function idempotencyKeyOf(request: FastifyRequest): string {
  const sent = request.headers['idempotency-key'];
  if (sent === undefined) return randomUUID();
  // Node joins repeated headers with ", ": two keys would be refused as one key with a space.
  const sentTimes = request.raw.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'idempotency-key').length;
  if (sentTimes > 1) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, `Idempotency-Key: send it once; this request carried it ${sentTimes} times`, [
      { field: 'Idempotency-Key', problems: [`Idempotency-Key must be sent once, not ${sentTimes} times`] },
    ]);
  }
  if (typeof sent !== 'string' || !IDEMPOTENCY_KEY.test(sent)) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'Idempotency-Key: 1 to 255 printable ASCII characters, without spaces', [
      { field: 'Idempotency-Key', problems: ['Idempotency-Key must be 1 to 255 printable ASCII characters without spaces'] },
    ]);
  }
  return sent;
}
