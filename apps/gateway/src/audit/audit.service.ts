import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage, type Page } from '@trove/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditEvent, type AuditOutcome } from './audit-event.entity';
import type { AuditEventDto, AuditQuery } from './audit.dto';

/**
 * Records every call to a state-changing route, whatever its outcome: allowed, refused by
 * the guards (401, 403, 429) or failed. The record is written before the answer is sent, so
 * a client never sees the effect of a call that left no trace. Keys and bodies are never
 * recorded: the key id says which key acted.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Audit');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Callback style: reads, most of the traffic, pass through without a promise.
    fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload: unknown) => void) => {
      if (!request.audit) return done(null, payload);
      this.record(request, reply.statusCode, payload).then(
        () => done(null, payload),
        (error: Error) => done(error, payload),
      );
    });
  }

  private async record(request: FastifyRequest, status: number, payload: unknown): Promise<void> {
    const audit = request.audit!;
    const outcome: AuditOutcome = status < 400 ? 'success' : status === 401 || status === 403 || status === 429 ? 'denied' : 'failed';
    const principal = request.principal;
    try {
      await this.dataSource.manager.insert(AuditEvent, {
        id: randomUUID(),
        at: new Date(),
        actorOrganizationId: principal?.organizationId ?? null,
        actorKeyId: principal?.keyId ?? null,
        actorRole: principal?.role ?? null,
        action: audit.action,
        targetType: audit.targetType,
        targetId: audit.targetId,
        outcome,
        status,
        errorCode: status >= 400 ? errorCodeOf(payload) : null,
        correlationId: String(request.id),
        ip: request.ip ?? null,
      });
    } catch (error) {
      this.logger.error({ err: error, action: audit.action }, 'audit record not written');
      throw error;
    }
  }

  async list(query: AuditQuery): Promise<Page<AuditEventDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const q = this.dataSource.manager.createQueryBuilder(AuditEvent, 'a').orderBy('a.at', 'DESC').addOrderBy('a.id', 'DESC').limit(limit + 1);
    if (query.actor) q.andWhere('(a.actor_organization_id = :actor OR a.actor_key_id = :actor)', { actor: query.actor });
    if (query.action) q.andWhere('a.action = :action', { action: query.action });
    if (query.outcome) q.andWhere('a.outcome = :outcome', { outcome: query.outcome });
    const after = decodeCursor(query.cursor);
    if (after) q.andWhere('(a.at, a.id) < (:at, :id)', { at: after.at, id: after.id });
    const rows = await q.getMany();
    return toPage(rows, limit, (e) => ({ at: e.at, id: e.id }), view);
  }
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
