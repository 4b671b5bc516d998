import { BACKEND_SERVICES, GatewayBroadcasts, SERVICES, type BackendService, type ServiceName } from '@trove/contracts';
import { Namespace } from './namespace';

/**
 * Which services each service asks over request-reply. NATS lets a service publish requests
 * only to the services named here, so a new call needs a line here, and then
 * deploy/nats/authorization.conf regenerated (see bus-permissions.cli.ts);
 * bus-permissions.spec.ts fails when an app's code uses another service's subjects without one.
 */
export const SERVICE_CALLS: Record<ServiceName, readonly BackendService[]> = {
  gateway: BACKEND_SERVICES,
  // a vendor's upload: catalog has delivery sign the upload URL, delivery records the file in catalog
  catalog: ['delivery'],
  // checkout: the offer snapshot, and reserving or releasing an exclusive sale
  ordering: ['catalog'],
  billing: [],
  delivery: ['catalog'],
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
  return {
    publish: [
      ...SERVICE_CALLS[service].map((callee) => namespace.subject(`${callee}.>`)),
      ...owned.map((subject) => namespace.subject(subject)),
      namespace.subject(`evt.${service}.>`),
      // jetstreamManager() checks that JetStream answers; ensureEventStream looks and creates
      '$JS.API.INFO',
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.CREATE.${stream}`,
      // durable consumers: look, create or update (always filtered on events), pull, ack
      `$JS.API.CONSUMER.INFO.${stream}.*`,
      `$JS.API.CONSUMER.CREATE.${stream}.*.${namespace.eventSubjects}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
      `$JS.ACK.${stream}.>`,
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
