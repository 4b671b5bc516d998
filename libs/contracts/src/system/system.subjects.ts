import type { BackendService } from '../services';
import { rpcSubject, type RpcSubject } from '../subject';
import { HealthPing, type ServiceHealth } from './system.messages';

/** Every service answers a health ping on `<service>.system.health`. */
export const SystemSubjects = {
  health: {
    catalog: rpcSubject<HealthPing, ServiceHealth>('catalog.system.health', HealthPing),
    ordering: rpcSubject<HealthPing, ServiceHealth>('ordering.system.health', HealthPing),
    billing: rpcSubject<HealthPing, ServiceHealth>('billing.system.health', HealthPing),
    delivery: rpcSubject<HealthPing, ServiceHealth>('delivery.system.health', HealthPing),
  } satisfies Record<BackendService, RpcSubject<HealthPing, ServiceHealth>>,
};
