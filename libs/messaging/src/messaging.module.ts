import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DeadLetterResponder } from './dead-letter.responder';
import { DeadLetterStore } from './dead-letters';
import { UnappliedChanges } from './unapplied-changes';
import { EventConsumers } from './event.consumers';
import { ProcessedCommandJanitor } from './idempotency';
import { MessagingJanitor } from './messaging-janitor';
import { DEFAULT_MESSAGING_OPTIONS, MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { namespaceProvider, NATS_CONNECTION, natsConnectionProvider, NatsLifecycle } from './nats.provider';
import { OutboxRelay } from './outbox.relay';
import { RpcClient } from './rpc.client';
import { RpcServer } from './rpc.server';
import { SystemHealthResponder } from './system-health.responder';
import { UnitOfWork } from './unit-of-work';
import { Namespace } from './namespace';

/**
 * NATS for an app: one connection shared by the RPC server and client, the outbox relay and
 * the event consumers. Needs PlatformModule (settings, database, metrics, readiness).
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: Partial<MessagingOptions> = {}): DynamicModule {
    return {
      module: MessagingModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: { ...DEFAULT_MESSAGING_OPTIONS, ...options } },
        natsConnectionProvider,
        namespaceProvider,
        NatsLifecycle,
        RpcServer,
        RpcClient,
        OutboxRelay,
        UnitOfWork,
        EventConsumers,
        SystemHealthResponder,
        DeadLetterStore,
        UnappliedChanges,
        DeadLetterResponder,
        MessagingJanitor,
        ProcessedCommandJanitor,
      ],
      exports: [NATS_CONNECTION, Namespace, RpcClient, RpcServer, UnitOfWork, OutboxRelay, EventConsumers, MessagingJanitor, ProcessedCommandJanitor, DeadLetterStore, DeadLetterResponder, UnappliedChanges],
    };
  }
}
