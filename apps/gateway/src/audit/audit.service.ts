import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { UnitOfWork, type Transaction } from '@trove/messaging';
import { DEFAULT_PAGE_SIZE, RequestContext, toPage, type AuditMark, type Page } from '@trove/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { AuditEvent, type AuditOutcome } from './audit-event.entity';
import { AuditEventRepository, auditScope } from './audit-event.repository';
import type { AuditEventDto, AuditQuery } from './audit.dto';

/**
 * Records every call to a state-changing route, whatever its outcome: allowed, refused by
 * the guards (401, 403) or failed, except a call refused for its rate (429): each refusal was a
 * row written, so anyone could write to the audit log as fast as it could send, without a key
 * (100 calls of `POST /v1/api-keys` without one were 100 rows). A call counted against a limit
 * is recorded until the limit refuses it; the 429s are in `trove_http_request_duration_seconds`
 * by route. Keys and bodies are never recorded: the key id says which key acted.
 *
 * A successful change the gateway makes itself (organizations, keys) is recorded inside its
 * unit of work, right before the commit: the change and its record commit together or not at
 * all. A change another service makes for the call is recorded by that service in its own
 * transaction and filed here by AuditEventsConsumer. Every other outcome (refused, failed, a
 * replayed command) is recorded before the answer is sent.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly events: AuditEventRepository,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    this.unitOfWork.enlist((tx, result) => this.recordSuccess(tx, result));
  }

  onApplicationBootstrap(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Callback style: reads, most of the traffic, pass through without a promise.
    fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload: unknown) => void) => {
      const mark: AuditMark | undefined = request.audit;
      // Recorded already: the success record committed with the change.
      if (!mark || mark.recorded) return done(null, payload);
      if (reply.statusCode === 429) {
        mark.recorded = true;
        return done(null, payload);
      }
      this.record(request, mark, reply.statusCode, payload).then(
        () => done(null, payload),
        (error: Error) => done(error, payload),
      );
    });
  }

  /** Joins the unit of work of an audited call: the success record commits with the change. */
  private async recordSuccess(tx: Transaction, result: unknown): Promise<void> {
    const context = RequestContext.current();
    const mark = context?.audit;
    if (!mark || mark.recorded) return;
    mark.targetId ??= createdId(result);
    const caller = context.caller;
    await this.events.insert({
      id: randomUUID(),
      at: new Date(),
      actorOrganizationId: caller?.organizationId ?? null,
      actorKeyId: caller?.keyId ?? null,
      actorRole: caller?.role ?? null,
      action: mark.action,
      targetType: mark.targetType,
      targetId: mark.targetId,
      outcome: 'success',
      status: mark.successStatus ?? 200,
      errorCode: null,
      correlationId: context.correlationId,
      ip: mark.ip ?? null,
    });
    // Only a commit makes it recorded: after a rollback the failure is recorded instead.
    tx.afterCommit(() => (mark.recorded = true));
  }

  private async record(request: FastifyRequest, mark: AuditMark, status: number, payload: unknown): Promise<void> {
    // Set first, so the unit of work below does not add a success record of its own.
    mark.recorded = true;
    const outcome: AuditOutcome = status < 400 ? 'success' : status === 401 || status === 403 || status === 429 ? 'denied' : 'failed';
    const principal = request.principal;
    try {
      await this.unitOfWork.run(() =>
        this.events.insert({
          id: randomUUID(),
          at: new Date(),
          actorOrganizationId: principal?.organizationId ?? null,
          actorKeyId: principal?.keyId ?? null,
          actorRole: principal?.role ?? null,
          action: mark.action,
          targetType: mark.targetType,
          targetId: mark.targetId,
          outcome,
          status,
          errorCode: status >= 400 ? errorCodeOf(payload) : null,
          correlationId: String(request.id),
          ip: request.ip ?? null,
        }),
      );
    } catch (error) {
      this.logger.error({ err: error, action: mark.action }, 'audit record not written');
      throw error;
    }
  }

  async list(query: AuditQuery): Promise<Page<AuditEventDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.unitOfWork.read(() => this.events.list(query, limit));
    return toPage(rows, limit, (e) => ({ at: e.at, id: e.id }), view, auditScope(query));
  }
}

/** What a call created, when its route has no :id: the id of the unit of work's result. */
export function createdId(result: unknown): string | null {
  const created = result as { id?: unknown; organization?: { id?: unknown } } | undefined;
  const id = created?.id ?? created?.organization?.id;
  return typeof id === 'string' ? id : null;
}

function errorCodeOf(payload: unknown): string | null {
  if (typeof payload !== 'string') return null;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}

function view(event: AuditEvent): AuditEventDto {
  return {
    id: event.id,
    at: event.at.toISOString(),
    actor: { organizationId: event.actorOrganizationId, keyId: event.actorKeyId, role: event.actorRole },
    action: event.action,
    target: { type: event.targetType, id: event.targetId },
    outcome: event.outcome,
    status: event.status,
    errorCode: event.errorCode,
    correlationId: event.correlationId,
    ip: event.ip,
  };
}
