import { CommonErrorCode, MessageHeaders, type RpcSubject } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { ErrorCode, NatsError, type NatsConnection } from 'nats';
import { MetricsService, PlatformConfig, RequestContext, SERVICE_IDENTITY, ServiceException, type ServiceIdentity } from '@trove/platform';
import { Inject } from '@nestjs/common';
import { decodeJson, encodeJson, type RpcReply } from './codec';
import { Namespace } from './namespace';
import { contextHeaders, toNatsHeaders } from './message-context';
import { InjectNats } from './nats.provider';

export interface SendOptions {
  /** Overrides RPC_TIMEOUT_MS for this call. */
  timeoutMs?: number;
  /**
   * Required for a command, unless the work in progress has one (the gateway gives each call
   * one): a retry with the same key gets the first reply and changes nothing again.
   */
  idempotencyKey?: string;
}

/**
 * The one way to ask another service something. Every call has a timeout, carries the
 * correlation id and the caller, and ends in the typed reply or a ServiceException; a service
 * that is down or slow is SERVICE_UNAVAILABLE, never a hang. The timeout travels as an
 * absolute deadline (never later than the deadline of the work in progress), so the service
 * neither starts nor commits work its caller has given up on. A command also carries its
 * idempotency key and, from an audited gateway route, the audit action and target, which the
 * service records in the transaction of its change.
 */
@Injectable()
export class RpcClient {
  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly namespace: Namespace,
    private readonly config: PlatformConfig,
    private readonly metrics: MetricsService,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {}

  async send<Req, Res>(rpc: RpcSubject<Req, Res>, request: Req, options: SendOptions = {}): Promise<Res> {
    const context = RequestContext.current();
    const idempotencyKey = options.idempotencyKey ?? context?.idempotencyKey;
    if (rpc.command && !idempotencyKey) {
      throw new Error(`${rpc.subject} is a command: send it with { idempotencyKey } (derived from what the caller retries), or within work that has one.`);
    }
    const inherited = context?.deadline !== undefined ? context.deadline - Date.now() : Infinity;
    const timeout = Math.min(options.timeoutMs ?? this.config.RPC_TIMEOUT_MS, inherited);
    if (timeout <= 0) throw new NotDelivered('The work this call belongs to is past its deadline.');
    const stop = this.metrics.rpcDuration.startTimer({ subject: rpc.subject, side: 'client' });
    let outcome: string = CommonErrorCode.INTERNAL;
    try {
      const reply = await this.request(rpc, request, timeout, idempotencyKey);
      if (reply.ok) {
        outcome = 'ok';
        // The service filed the call's audit record with its change: the gateway adds none.
        if (reply.audited && context?.audit) context.audit.recorded = true;
        return reply.data as Res;
      }
      outcome = reply.error.code;
      throw ServiceException.from(reply.error);
    } catch (error) {
      if (error instanceof ServiceException) {
        outcome = error.code;
        throw error;
      }
      outcome = CommonErrorCode.SERVICE_UNAVAILABLE;
      throw unavailable(rpc.subject, timeout, error);
    } finally {
      stop({ outcome });
    }
  }

  private async request(rpc: RpcSubject<unknown, unknown>, payload: unknown, timeout: number, idempotencyKey: string | undefined): Promise<RpcReply<unknown>> {
    const h = toNatsHeaders({
      ...contextHeaders(),
      [MessageHeaders.caller]: this.identity.service,
      [MessageHeaders.deadline]: String(Date.now() + timeout),
    });
    if (rpc.command) {
      h.set(MessageHeaders.idempotencyKey, idempotencyKey!);
      const audit = RequestContext.current()?.audit;
      if (audit && !audit.recorded) {
        const { action, targetType, targetId, successStatus, ip } = audit;
        h.set(MessageHeaders.audit, JSON.stringify({ action, targetType, targetId, successStatus, ip }));
      }
    }
    const message = await this.nc.request(this.namespace.subject(rpc.subject), encodeJson(payload), { timeout, headers: h });
    return decodeJson(message.data) as RpcReply<unknown>;
  }
}

/**
 * SERVICE_UNAVAILABLE for a request that certainly reached no handler: nobody listened on its
 * subject, or its deadline had passed before it was sent. Its caller knows nothing was done; after
 * any other SERVICE_UNAVAILABLE (no answer in time) the request may have been carried out.
 */
export class NotDelivered extends ServiceException {
  constructor(message: string) {
    super(CommonErrorCode.SERVICE_UNAVAILABLE, message);
  }
}

function unavailable(subject: string, timeout: number, error: unknown): ServiceException {
  const service = subject.split('.')[0];
  if (error instanceof NatsError) {
    if (error.code === ErrorCode.NoResponders) return new NotDelivered(`The ${service} service is not running.`);
    if (error.code === ErrorCode.Timeout) {
      return new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, `The ${service} service did not answer within ${timeout} ms.`);
    }
  }
  return new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, `The ${service} service cannot be reached: ${(error as Error).message}`);
}
