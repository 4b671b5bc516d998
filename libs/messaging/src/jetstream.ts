import { Logger } from '@nestjs/common';
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';
import type { Namespace } from './namespace';

const DAY_NS = 24 * 60 * 60 * 1e9;

/** How long the stream keeps an event for consumers that were down. */
export const EVENT_RETENTION_DAYS = 7;

/**
 * The TROVE_EVENTS stream: every domain event, kept a week on disk for consumers that were
 * down. Its de-duplication window covers relay retries, and the inbox covers anything older.
 */
export async function ensureEventStream(jsm: JetStreamManager, namespace: Namespace): Promise<void> {
  const config: Partial<StreamConfig> = {
    name: namespace.stream,
    subjects: [namespace.eventSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: EVENT_RETENTION_DAYS * DAY_NS,
    duplicate_window: 10 * 60 * 1e9,
    num_replicas: 1,
  };
  try {
    await jsm.streams.info(namespace.stream);
  } catch {
    try {
      await jsm.streams.add(config);
      new Logger('JetStream').log(`created stream ${namespace.stream} on ${namespace.eventSubjects}`);
    } catch (error) {
      // Another replica created it between our look and our add.
      if (!/already in use|already exists/i.test((error as Error).message)) throw error;
    }
  }
}
