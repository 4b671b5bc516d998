import { BACKEND_SERVICES, CatalogSubjects, DeliverySubjects, GatewayBroadcasts, SERVICES, type BackendService, type RpcSubject, type ServiceName } from '@trove/contracts';
import { Namespace } from './namespace';

/**
 * Which services each service asks over request-reply (the subjects, for the backend services,
 * are in `SERVICE_REQUESTS`). A new call needs a line here and there, and then
 * deploy/nats/authorization.conf regenerated (see bus-permissions.cli.ts);
 * bus-permissions.spec.ts fails when an app's code uses another service's subjects without one.
 */
export const SERVICE_CALLS: Record<ServiceName, readonly BackendService[]> = {
  gateway: BACKEND_SERVICES,
  // a vendor's upload: catalog has delivery sign the upload URL, delivery records the file in catalog
  catalog: ['delivery'],
  // checkout: the offer snapshot, and reserving an exclusive sale or giving back one whose order
  // was never written (a sale an order held is released through its event, order.exclusive-ended)
  ordering: ['catalog'],
  billing: [],
  delivery: ['catalog'],
};

/**
 * The requests each backend service makes of another, subject by subject: NATS lets it publish
 * these and no other subject of the service it calls, so a service's user cannot reach another
 * service's gateway-only subjects (an operator's approval, a buyer's downloads) with caller
 * headers of its own making. The gateway, which authenticates every caller, may ask every
 * subject of every backend service. bus-permissions.spec.ts fails when an app's code uses a
 * subject of another service that is not here.
 */
export const SERVICE_REQUESTS: Record<BackendService, readonly RpcSubject<unknown, unknown>[]> = {
  catalog: [DeliverySubjects.signUpload, DeliverySubjects.signSample, DeliverySubjects.datasetRecipients],
  ordering: [CatalogSubjects.getOffer, CatalogSubjects.reserveExclusive, CatalogSubjects.releaseExclusive],
  billing: [],
  delivery: [CatalogSubjects.addVersionFile, CatalogSubjects.addSample, CatalogSubjects.listedObjects],
};

/**
 * The durable consumers each service keeps on the event stream (`@EventHandler`'s `consumer`,
 * named `<service>_<consumer>` on the stream). NATS lets a service create, look up, pull from
 * and acknowledge these and no other, so that no service can re-point, drain or acknowledge
 * another's. bus-permissions.spec.ts fails when an app's handlers name a consumer not here.
 */
export const EVENT_CONSUMERS: Record<ServiceName, readonly string[]> = {
  gateway: ['audit-from-catalog', 'audit-from-ordering', 'audit-from-billing', 'audit-from-delivery'],
  catalog: ['organization-statuses', 'order-exclusive-ends'],
  ordering: ['order-payments', 'order-deliveries', 'subscription-lapses'],
  billing: ['order-payments', 'usage-meters', 'catalog-datasets', 'catalog-offers', 'organization-statuses'],
  delivery: ['order-entitlements', 'subscription-entitlements', 'catalog-releases', 'unlisted-objects', 'revoked-api-keys', 'organization-statuses'],
};

export interface BusPermissions {
  publish: string[];
  subscribe: string[];
}

/**
 * The prefix of a service's reply inboxes. Each service has its own, so that NATS can let it
 * read only its own replies (and JetStream acknowledgements) instead of every `_INBOX.>`.
 */
export function inboxPrefix(namespace: Namespace, service: ServiceName): string {
  return namespace.name ? `_INBOX.${namespace.name}.${service}` : `_INBOX.${service}`;
}

/**
 * Whether a message on a service's subject is a request another service made: its reply
 * subject is an inbox (`inboxPrefix`), where `RpcClient` waits for the answer. A message that
 * JetStream delivers from the stream has its own acknowledgement subject (`$JS.ACK.…`) as its
 * reply, and one a stream republishes has none: either carries whatever headers its publisher
 * wrote. Any service may create a consumer on the event stream, and the server delivers a push
 * consumer's messages to the subject its creator names without asking the creator's publish
 * permissions, so a service's subjects serve requests only.
 */
export function isRequest(reply: string | undefined): boolean {
  return typeof reply === 'string' && reply.startsWith('_INBOX.');
}

/**
 * What one service may do on NATS, derived from the contracts and from how this library uses
 * NATS (subjects, inbox prefix, stream and consumer API calls): serve its own `<service>.>`
 * subjects, ask the services it calls, publish its own events `evt.<service>.>`, use the
 * event stream through the few JetStream API calls the outbox relay and the consumers make,
 * and read its own inbox. Replies go back through `allow_responses`, so no service may
 * publish to another's inbox.
 */
export function busPermissions(service: ServiceName, namespace: Namespace): BusPermissions {
  const stream = namespace.stream;
  const owned = Object.values(GatewayBroadcasts).filter((subject) => subject.split('.')[0] === service);
  const requests = service === 'gateway' ? SERVICE_CALLS.gateway.map((callee) => `${callee}.>`) : SERVICE_REQUESTS[service].map((rpc) => rpc.subject);
  const consumers = EVENT_CONSUMERS[service].map((consumer) => `${service}_${consumer}`);
  return {
    publish: [
      ...requests.map((subject) => namespace.subject(subject)),
      ...owned.map((subject) => namespace.subject(subject)),
      namespace.subject(`evt.${service}.>`),
      // jetstreamManager() checks that JetStream answers; ensureEventStream looks and creates
      '$JS.API.INFO',
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.CREATE.${stream}`,
      // its own durable consumers: look, create or update (always filtered on events), pull, ack
      ...consumers.flatMap((durable) => [
        `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
        `$JS.API.CONSUMER.CREATE.${stream}.${durable}.${namespace.eventSubjects}`,
        `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
        `$JS.ACK.${stream}.${durable}.>`,
      ]),
      // the operators' figures (GET /v1/admin/stats): every consumer's backlog, read only
      ...(service === 'gateway' ? [`$JS.API.CONSUMER.LIST.${stream}`] : []),
    ],
    subscribe: [namespace.subject(`${service}.>`), `${inboxPrefix(namespace, service)}.>`],
  };
}

/** The environment variable nats-server reads a service's password from. */
export function passwordVariable(service: ServiceName): string {
  return `TROVE_NATS_${service.toUpperCase()}_PASSWORD`;
}

/**
 * The `authorization` block of nats-server's configuration: one user per service with the
 * permissions above, passwords taken from the server's environment, and no `no_auth_user`, so
 * an anonymous connection is refused.
 */
export function natsAuthorizationConfig(namespace: Namespace): string {
  const list = (subjects: string[]) => subjects.map((s) => `          "${s}"`).join('\n');
  const users = SERVICES.map((service) => {
    const permissions = busPermissions(service, namespace);
    return [
      `    {`,
      `      user: ${service}`,
      `      password: $${passwordVariable(service)}`,
      `      permissions: {`,
      `        publish: { allow: [`,
      list(permissions.publish),
      `        ] }`,
      `        subscribe: { allow: [`,
      list(permissions.subscribe),
      `        ] }`,
      `        # answer the requests it received, once each, and nothing else`,
      `        allow_responses: true`,
      `      }`,
      `    }`,
    ].join('\n');
  });
  return [
    `# One NATS user per Trove service, each allowed only its own subjects, the services it calls,`,
    `# its own events and the JetStream calls it makes. No no_auth_user: anonymous connections are`,
    `# refused. Passwords come from nats-server's environment (${passwordVariable('gateway')}, ...).`,
    `# Generated from libs/contracts and libs/messaging by libs/messaging/src/bus-permissions.cli.ts${namespace.name ? ` for TROVE_NAMESPACE=${namespace.name}` : ''}; do not edit.`,
    `authorization {`,
    `  users: [`,
    users.join('\n'),
    `  ]`,
    `}`,
    ``,
  ].join('\n');
}
