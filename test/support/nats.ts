import { GatewayEvents, type OrganizationStatus, type OrganizationStatusChangedV1 } from '@trove/contracts';
import { encodeJson, Namespace, type EventEnvelope } from '@trove/messaging';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from 'nats';

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

/**
 * An organization's status change published as the gateway's relay publishes it (`POST
 * /v1/admin/organizations/:id/suspend`, `…/approve`): the aggregate `gateway.organization`
 * numbered per organization (`seq`, the one before it named in `previous`), the event id as
 * `Nats-Msg-Id`. Answers the event id.
 */
export async function publishOrganizationStatus(
  nc: NatsConnection,
  namespace: string,
  change: { organizationId: string; status: OrganizationStatus; changedAt: string; seq: number },
): Promise<string> {
  const id = randomUUID();
  const subject = GatewayEvents.organizationStatusChanged.subject;
  const { organizationId, status, changedAt, seq } = change;
  const envelope: EventEnvelope<OrganizationStatusChangedV1> = {
    id,
    subject,
    occurredAt: changedAt,
    producer: 'gateway',
    payload: { organizationId, status, changedAt },
    aggregate: { type: 'gateway.organization', id: organizationId, seq, previous: seq > 1 ? { [subject]: seq - 1 } : {} },
  };
  const h = headers();
  h.set('Nats-Msg-Id', id);
  await nc.jetstream().publish(new Namespace(namespace).subject(subject), encodeJson(envelope), { headers: h });
  return id;
}
