import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { Namespace } from '@trove/messaging';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A namespace of this test's own: its subjects, queue groups and stream meet no other run's. */
export function newNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function connectNats(): Promise<NatsConnection> {
  return connect({ servers: NATS_URL, name: 'trove-test' });
}

/** Deletes the JetStream stream a namespaced run created. */
export async function deleteStream(namespace: string): Promise<void> {
  const nc = await connectNats();
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(new Namespace(namespace).stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
