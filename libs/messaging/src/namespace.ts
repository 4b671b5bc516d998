import type { ServiceName } from '@trove/contracts';

/**
 * Where a deployment's messages live on a shared NATS. Production uses the bare names; tests
 * and parallel runs pick a namespace so that their subjects, queue groups and streams never
 * meet another run's.
 */
export class Namespace {
  constructor(readonly name: string) {}

  subject(subject: string): string {
    return this.name ? `${this.name}.${subject}` : subject;
  }

  /** The queue group of a service: its replicas share each subject's messages. */
  queue(service: ServiceName): string {
    return this.name ? `${this.name}.${service}` : service;
  }

  get stream(): string {
    return this.name ? `TROVE_EVENTS_${this.name.replace(/[^A-Za-z0-9_-]/g, '_')}` : 'TROVE_EVENTS';
  }

  get eventSubjects(): string {
    return this.subject('evt.>');
  }
}
