import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { tap, type Observable } from 'rxjs';

/** A call that creates something is audited with the id of what it created. */
@Injectable()
export class AuditTargetInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return next.handle().pipe(
      tap((result: unknown) => {
        if (!request.audit || request.audit.targetId) return;
        const created = result as { id?: unknown; organization?: { id?: unknown } } | undefined;
        const id = created?.id ?? created?.organization?.id;
        if (typeof id === 'string') request.audit.targetId = id;
      }),
    );
  }
}
