import type { BackendService } from '../services';
import { rpcSubject, type RpcSubject } from '../subject';
import {
  HealthPing,
  ListDeadLetters,
  ReplayDeadLetter,
  type DeadLetterList,
  type DeadLetterReplayResult,
  type ServiceHealth,
} from './system.messages';

function perService<Req, Res>(verb: string, request: new () => Req): Record<BackendService, RpcSubject<Req, Res>> {
  return {
    catalog: rpcSubject<Req, Res>(`catalog.system.${verb}`, request),
    ordering: rpcSubject<Req, Res>(`ordering.system.${verb}`, request),
    billing: rpcSubject<Req, Res>(`billing.system.${verb}`, request),
    delivery: rpcSubject<Req, Res>(`delivery.system.${verb}`, request),
  };
}

/**
 * What every backend service answers for the operators, through the gateway: a health ping on
 * `<service>.system.health`, and its dead letters (events its consumers gave up on).
 */
export const SystemSubjects = {
  health: perService<HealthPing, ServiceHealth>('health', HealthPing),
  listDeadLetters: perService<ListDeadLetters, DeadLetterList>('list-dead-letters', ListDeadLetters),
  replayDeadLetter: perService<ReplayDeadLetter, DeadLetterReplayResult>('replay-dead-letter', ReplayDeadLetter),
};
