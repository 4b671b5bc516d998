import { AuditEvents, CommonErrorCode, MessageHeaders, type BackendService, type RpcSubject } from '@trove/contracts';
import {
  Inject,
  Injectable,
  Logger,
  SetMetadata,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { randomUUID } from 'node:crypto';
import {
  DATABASE_UNAVAILABLE_DETAIL,
  isDatabaseUnavailable,
  MetricsService,
  RequestContext,
  SERVICE_IDENTITY,
  ServiceException,
  validateMessage,
  type Caller,
  type ServiceIdentity,
} from '@trove/platform';
import { isRequest } from './bus-permissions';
import { decodeJson, encodeJson, type RpcReply } from './codec';
import { soon } from './soon';
import { Namespace } from './namespace';
import { decoratedMethods } from './decorated-methods';
import { ProcessedCommandRepository, readRequestHash, requestHash, type CommandKey } from './idempotency';
import { auditHeaderFrom, commandHeadersFrom, contextFrom } from './message-context';
import { InjectNats } from './nats.provider';
import { UnitOfWork, type Transaction } from './unit-of-work';

const RPC_HANDLER = Symbol('RPC_HANDLER');

export interface RpcHandlerOptions {
  /**
   * For a command that asks other services before it changes anything: the handler runs
   * outside any transaction and applies its change through `context.command(work)`, so no
   * transaction (nor its pooled connection) is held open while it waits for the others. A key
   * already used is answered from its record before the handler runs; a concurrent duplicate
   * waits in `context.command` for the first one and gets its reply, without running `work`.
   */
  deferTransaction?: boolean;
}

/** Marks a provider method as the handler of a request subject. */
export const RpcHandler = (rpc: RpcSubject<unknown, unknown>, options: RpcHandlerOptions = {}) => SetMetadata(RPC_HANDLER, { rpc, options });

export interface RpcContext {
  correlationId: string;
  caller?: Caller;
  /** The service that sent the request. */
  from?: string;
  /**
   * Only for a handler registered with `deferTransaction`: applies `work` once per idempotency
   * key, in one transaction with the key's record. Answers `work`'s result, or the reply
   * recorded by a duplicate that got there first (then `work` does not run). The handler
   * returns what this answers, and calls it exactly once.
   */
  command?: <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>;
}

/** NATS's max_payload when the server has not said (its default). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

type Handler = (request: unknown, context: RpcContext) => unknown;

/**
 * Answers the request subjects of this service. Replicas share each subject through the
 * service's queue group; every request is validated against its contract class; on shutdown
 * it stops taking requests and waits for the ones in flight before NATS closes.
 *
 * Every handler runs inside a unit of work: a query in `UnitOfWork.read`, a command in a
 * transaction that also records its reply under the caller's idempotency key, so a retry gets
 * the first reply back and nothing is applied twice. A request whose caller's deadline has
 * passed is not started, and a command that runs past it does not commit.
 */
@Injectable()
export class RpcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('RpcServer');
  private readonly handlers = new Map<string, { rpc: RpcSubject<unknown, unknown>; handle: Handler; options: RpcHandlerOptions }>();
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly commands = new ProcessedCommandRepository();
  private listening = false;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly namespace: Namespace,
    private readonly metrics: MetricsService,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** Registers a handler in code; decorated methods are found on their own. */
  register<Req, Res>(rpc: RpcSubject<Req, Res>, handle: (request: Req, context: RpcContext) => Promise<Res> | Res, options: RpcHandlerOptions = {}): void {
    if (this.handlers.has(rpc.subject)) throw new Error(`two handlers for ${rpc.subject}`);
    if (options.deferTransaction && !rpc.command) throw new Error(`${rpc.subject} is a query: deferTransaction is for commands`);
    this.handlers.set(rpc.subject, { rpc: rpc as RpcSubject<unknown, unknown>, handle: handle as Handler, options });
    if (this.listening) this.subscribe(rpc.subject);
  }

  onApplicationBootstrap(): void {
    type Meta = { rpc: RpcSubject<unknown, unknown>; options: RpcHandlerOptions };
    for (const { metadata, method } of decoratedMethods<Meta>(this.discovery, this.scanner, RPC_HANDLER)) {
      this.register(metadata.rpc, method as Handler, metadata.options);
    }
    for (const subject of this.handlers.keys()) this.subscribe(subject);
    this.listening = true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.listening = false;
    // drain: no new messages, the ones already delivered to us still run.
    await Promise.allSettled(this.subscriptions.map((sub) => sub.drain()));
    await Promise.allSettled([...this.inFlight]);
  }

  private subscribe(subject: string): void {
    const sub = this.nc.subscribe(this.namespace.subject(subject), {
      queue: this.namespace.queue(this.identity.service),
      callback: (error, msg) => {
        if (error) {
          this.logger.error(`subscription to ${subject} failed: ${error.message}`);
          return;
        }
        const work = this.handle(subject, msg).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      },
    });
    this.subscriptions.push(sub);
  }

  private async handle(subject: string, msg: Msg): Promise<void> {
    if (!isRequest(msg.reply)) {
      // Not a request: a stream's delivery to this subject, its headers whatever its publisher wrote.
      this.logger.warn({ subject, reply: msg.reply ?? null }, 'message not handled: it is not a request (its reply is no inbox)');
      return;
    }
    const entry = this.handlers.get(subject)!;
    const context = { ...contextFrom(msg.headers), ...commandHeadersFrom(msg.headers) };
    const stop = this.metrics.rpcDuration.startTimer({ subject, side: 'server' });
    if (context.deadline !== undefined && Date.now() >= context.deadline) {
      // The caller has already been told this failed: doing it now would contradict that.
      const late = new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, 'The request arrived after its caller stopped waiting; it was not started.');
      this.logger.warn({ subject, correlationId: context.correlationId }, 'request not started: its deadline had passed');
      stop({ outcome: 'expired' });
      if (msg.reply) msg.respond(encodeJson({ ok: false, error: late.toJSON() } satisfies RpcReply<unknown>));
      return;
    }
    const reply = await RequestContext.run(context, async (): Promise<RpcReply<unknown>> => {
      try {
        const body = decodeJson(msg.data);
        const request = validateMessage(entry.rpc.request as new () => object, body);
        const rpcContext: RpcContext = { correlationId: context.correlationId, caller: context.caller, from: msg.headers?.get(MessageHeaders.caller) || undefined };
        if (!entry.rpc.command) return { ok: true, data: (await this.unitOfWork.read(async () => entry.handle(request, rpcContext))) ?? null };
        Object.assign(context, auditHeaderFrom(msg.headers));
        const command = this.commandKey(subject, request, body, rpcContext);
        const { data, audited } = entry.options.deferTransaction
          ? await this.deferredCommand(command, rpcContext, (withCommand) => entry.handle(request, withCommand))
          : await this.command(command, rpcContext, () => entry.handle(request, rpcContext));
        return audited ? { ok: true, data, audited } : { ok: true, data };
      } catch (error) {
        if (error instanceof ServiceException) return { ok: false, error: error.toJSON() };
        if (error instanceof SyntaxError) {
          return { ok: false, error: new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'The message is not valid JSON.').toJSON() };
        }
        if (isDatabaseUnavailable(error)) {
          this.logger.warn({ err: error, subject }, 'request not handled: the database is unavailable');
          return { ok: false, error: new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE_DETAIL).toJSON() };
        }
        this.logger.error({ err: error, subject }, 'request handler failed');
        return { ok: false, error: new ServiceException(CommonErrorCode.INTERNAL, 'The service failed to handle the request.').toJSON() };
      }
    });
    stop({ outcome: reply.ok ? 'ok' : reply.error.code });
    if (msg.reply) {
      const answer = this.sendable(subject, reply);
      soon(() => msg.respond(answer));
    }
  }

  /**
   * The reply as it travels; one larger than a NATS message may carry (the server's
   * max_payload, 1 MiB by default) would never arrive, and its caller would wait out its whole
   * timeout for a 503: it gets an INTERNAL problem at once instead, and the log says which answer
   * outgrew the message. Lists page within ANSWER_MAX_BYTES, so only a bug gets here.
   */
  private sendable(subject: string, reply: RpcReply<unknown>): Uint8Array {
    const answer = encodeJson(reply);
    const max = this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    if (answer.length <= max) return answer;
    this.logger.error({ subject, bytes: answer.length, max }, 'an answer is larger than one NATS message may carry: answered INTERNAL instead');
    const tooLarge = new ServiceException(CommonErrorCode.INTERNAL, `The answer (${answer.length} bytes) is larger than one message may carry (${max}).`);
    return encodeJson({ ok: false, error: tooLarge.toJSON() } satisfies RpcReply<unknown>);
  }

  /**
   * Applies a command at most once per idempotency key, in one transaction with its record and,
   * for a call from an audited gateway route, with the audit event the gateway files.
   */
  private command(command: CommandKey, context: RpcContext, apply: (tx: Transaction) => unknown): Promise<{ data: unknown; audited?: true }> {
    return this.unitOfWork.run(async (tx) => {
      const claim = await this.commands.claim(command, tx);
      // A replay changes nothing: the first run filed the audit record of the change.
      if (claim.replay) return { data: claim.response };
      const response = (await apply(tx)) ?? null;
      await this.commands.complete(command, response);
      const audit = RequestContext.current()?.audit;
      const recorded = AuditEvents.recorded[this.identity.service as BackendService];
      if (!audit || !recorded) return { data: response };
      await tx.publish(recorded, {
        id: randomUUID(),
        at: new Date().toISOString(),
        actorOrganizationId: context.caller?.organizationId ?? null,
        actorKeyId: context.caller?.keyId ?? null,
        actorRole: context.caller?.role ?? null,
        action: audit.action,
        targetType: audit.targetType,
        targetId: audit.targetId ?? createdId(response),
        status: audit.successStatus ?? 200,
        correlationId: context.correlationId,
        ip: audit.ip ?? null,
      });
      return { data: response, audited: true };
    });
  }

  /**
   * A command whose handler prepares outside any transaction (`deferTransaction`): a key already
   * recorded is answered at once, without a transaction and without running the handler; else
   * the handler runs and applies its change through `context.command`, which claims the key in
   * the change's transaction exactly as `command` does.
   */
  private async deferredCommand(command: CommandKey, context: RpcContext, handle: (context: RpcContext) => unknown): Promise<{ data: unknown; audited?: true }> {
    const recorded = await this.unitOfWork.read(() => this.commands.find(command));
    if (recorded) return { data: recorded.response };
    let outcome: { data: unknown; audited?: true } | undefined;
    const apply = async <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => {
      if (outcome) throw new Error(`${command.subject}: context.command(...) was called twice`);
      outcome = await this.command(command, context, work);
      return outcome.data as T;
    };
    await this.unitOfWork.read(async () => handle({ ...context, command: apply }));
    if (!outcome) throw new Error(`${command.subject} defers its transaction but its handler never called context.command(...)`);
    // The recorded reply, which a retry of the key gets as well.
    return outcome;
  }

  private commandKey(subject: string, request: object, body: unknown, context: RpcContext): CommandKey {
    const key = RequestContext.current()?.idempotencyKey;
    if (!key) {
      throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, `${subject} is a command: it needs an idempotency key (${MessageHeaders.idempotencyKey} header).`);
    }
    return {
      scope: context.caller ? `organization:${context.caller.organizationId}` : `service:${context.from ?? 'unknown'}`,
      subject,
      idempotencyKey: key,
      requestHash: readRequestHash(request, body),
      sentHash: requestHash(body),
    };
  }
}

/** What a command created, when its route has no :id: the `id` of its reply. */
function createdId(response: unknown): string | null {
  const id = (response as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : null;
}
