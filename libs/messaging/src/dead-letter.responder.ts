import {
  BACKEND_SERVICES,
  SystemSubjects,
  type BackendService,
  type DeadLetterList,
  type DeadLetterReplayResult,
  type ListDeadLetters,
  type ReplayDeadLetter,
} from '@trove/contracts';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SERVICE_IDENTITY, type ServiceIdentity } from '@trove/platform';
import { DeadLetterStore } from './dead-letters';
import { EventConsumers } from './event.consumers';
import { RpcServer } from './rpc.server';

/**
 * This service's dead letters for the operators: answers `<service>.system.list-dead-letters`
 * and `<service>.system.replay-dead-letter` for the gateway's admin routes. The gateway, which
 * has consumers and a dead-letter table of its own, calls `list` and `replay` in process.
 */
@Injectable()
export class DeadLetterResponder implements OnModuleInit {
  constructor(
    private readonly server: RpcServer,
    private readonly store: DeadLetterStore,
    private readonly consumers: EventConsumers,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {}

  onModuleInit(): void {
    const service = this.identity.service as BackendService;
    if (!BACKEND_SERVICES.includes(service)) return;
    this.server.register(SystemSubjects.listDeadLetters[service], (request) => this.list(request));
    this.server.register(SystemSubjects.replayDeadLetter[service], (request) => this.replay(request));
  }

  async list(request: ListDeadLetters): Promise<DeadLetterList> {
    const before = request.beforeAt && request.beforeId ? { at: request.beforeAt, id: request.beforeId } : undefined;
    return { items: await this.store.list(request.limit, before) };
  }

  async replay(request: ReplayDeadLetter): Promise<DeadLetterReplayResult> {
    const result = await this.consumers.replay(request.id);
    if (!result.found) return { found: false };
    return { found: true, outcome: result.outcome, error: result.error, deadLetter: this.store.view(result.deadLetter) };
  }
}
