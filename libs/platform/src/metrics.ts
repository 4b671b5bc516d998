import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InfrastructureRoute } from './access';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processMetrics: Registry | undefined;

/**
 * Node's own metrics (CPU, memory, event loop lag, garbage collection), collected once per
 * process: prom-client watches garbage collection and the event loop through process-wide
 * listeners that it never removes, so collecting them again for every app a process creates
 * (tests create hundreds) piled up listeners, each keeping its app's memory alive for good.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** An app's Prometheus registry: the process's metrics plus Trove's own. */
@Injectable()
export class MetricsService {
  /** Trove's metrics of this app; `registry` serves them with the process's. */
  private readonly own = new Registry();
  readonly registry: Registry;

  readonly httpDuration = new Histogram({
    name: 'trove_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.own],
  });

  readonly rpcDuration = new Histogram({
    name: 'trove_nats_request_duration_seconds',
    help: 'NATS request-reply by subject, side (client or server) and outcome (ok or an error code)',
    labelNames: ['subject', 'side', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.own],
  });

  readonly eventDuration = new Histogram({
    name: 'trove_event_handling_duration_seconds',
    help: 'Domain events handled, by subject, consumer and outcome (applied, duplicate, waiting for an earlier event, failed, malformed)',
    labelNames: ['subject', 'consumer', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.own],
  });

  readonly eventsPublished = new Counter({
    name: 'trove_outbox_published_total',
    help: 'Outbox events published to JetStream, by subject',
    labelNames: ['subject'] as const,
    registers: [this.own],
  });

  readonly outboxPending = new Gauge({
    name: 'trove_outbox_pending',
    help: 'Outbox events not yet acknowledged by JetStream, as of the last relay pass',
    registers: [this.own],
  });

  constructor() {
    this.registry = Registry.merge([processRegistry(), this.own]);
  }
}

@ApiExcludeController()
@InfrastructureRoute()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
