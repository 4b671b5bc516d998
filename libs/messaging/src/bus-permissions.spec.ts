import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as contracts from '@trove/contracts';
import { SERVICES, subjectCatalogue, type ServiceName } from '@trove/contracts';
import { BACKEND_SERVICES } from '@trove/contracts';
import { busPermissions, EVENT_CONSUMERS, inboxPrefix, natsAuthorizationConfig, SERVICE_CALLS, SERVICE_REQUESTS } from './bus-permissions';
import { Namespace } from './namespace';

const ROOT = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every exported object of subjects in the contracts, with the services that answer them. */
function subjectGroups(): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const [name, value] of Object.entries(contracts)) {
    if (!value || typeof value !== 'object') continue;
    const owners = new Set(subjectCatalogue({ [name]: value }).filter((e) => e.kind === 'rpc').map((e) => e.subject.split('.')[0]));
    if (owners.size > 0) groups.set(name, owners);
  }
  return groups;
}

describe('NATS permissions of the services', () => {
  it('are what deploy/nats/authorization.conf says (regenerate it with bus-permissions.cli.ts)', () => {
    const committed = readFileSync(join(ROOT, 'deploy', 'nats', 'authorization.conf'), 'utf8');
    expect(committed).toBe(natsAuthorizationConfig(new Namespace('')));
  });

  it('are the calls docs/nats-security.md lists, service by service', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'nats-security.md'), 'utf8');
    const table = doc.slice(doc.indexOf('| service | calls |'));
    const listed: Record<string, string[]> = {};
    for (const line of table.split('\n').slice(2)) {
      if (!line.startsWith('|')) break;
      const [services, calls] = line.split('|').slice(1, 3).map((cell) => cell.trim());
      const callees = calls === 'none' ? [] : calls.replace(/\(.*?\)/g, '').split(',').map((callee) => callee.trim());
      for (const service of services.split(',').map((name) => name.trim())) listed[service] = callees.sort();
    }
    expect(listed).toEqual(Object.fromEntries(SERVICES.map((service) => [service, [...SERVICE_CALLS[service]].sort()])));
  });

  it("let every app ask the services whose subjects its code uses, so the deployment's NATS does not refuse a call", () => {
    const groups = subjectGroups();
    expect(groups.get('CatalogSubjects')).toEqual(new Set(['catalog']));
    const missing: string[] = [];
    for (const app of SERVICES) {
      const code = sources(join(ROOT, 'apps', app, 'src'))
        .map((file) => readFileSync(file, 'utf8'))
        .join('\n');
      for (const [group, owners] of groups) {
        if (!new RegExp(`\\b${group}\\.`).test(code)) continue;
        for (const owner of owners) {
          if (owner !== app && !(SERVICE_CALLS[app] as readonly string[]).includes(owner)) missing.push(`${app} uses ${group} (${owner}) but SERVICE_CALLS.${app} lacks ${owner}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("let a backend service ask exactly the subjects of others its code uses, and no other", () => {
    const groups = subjectGroups();
    for (const app of BACKEND_SERVICES) {
      const code = sources(join(ROOT, 'apps', app, 'src'))
        .map((file) => readFileSync(file, 'utf8'))
        .join('\n');
      const used = new Set<string>();
      for (const [group, owners] of groups) {
        if (owners.has(app)) continue;
        for (const [, name] of code.matchAll(new RegExp(`\\b${group}\\.(\\w+)`, 'g'))) {
          used.add(((contracts as Record<string, unknown>)[group] as Record<string, { subject: string }>)[name].subject);
        }
      }
      const allowed = SERVICE_REQUESTS[app].map((rpc) => rpc.subject);
      expect([app, [...used].sort()]).toEqual([app, [...allowed].sort()]);
      expect([app, [...new Set(allowed.map((subject) => subject.split('.')[0]))].sort()]).toEqual([app, [...SERVICE_CALLS[app]].sort()]);
    }
    // what an operator or a buyer asks is the gateway's to ask
    expect(busPermissions('delivery', new Namespace('')).publish).not.toContain('catalog.dataset.suspend');
    expect(busPermissions('catalog', new Namespace('')).publish).not.toContain('delivery.entitlement.manifest');
  });

  it("let a service use its own durable consumers and no other's, the ones its event handlers name", () => {
    for (const app of SERVICES) {
      const code = sources(join(ROOT, 'apps', app, 'src'))
        .map((file) => readFileSync(file, 'utf8'))
        .join('\n');
      const named = new Set([...code.matchAll(/@EventHandler\([^)]*?\{\s*consumer:\s*'([^']+)'/g)].map((m) => m[1]));
      expect([app, [...named].sort()]).toEqual([app, [...EVENT_CONSUMERS[app]].sort()]);
    }
    const stream = new Namespace('').stream;
    const delivery = busPermissions('delivery', new Namespace('')).publish;
    expect(delivery).toContain(`$JS.API.CONSUMER.CREATE.${stream}.delivery_order-entitlements.evt.>`);
    expect(delivery.filter((s) => s.startsWith('$JS.') && /\*|billing_|ordering_/.test(s))).toEqual([]);
  });

  it('let a service serve only its own subjects and publish only its own events', () => {
    const namespace = new Namespace('');
    for (const service of SERVICES) {
      const { publish, subscribe } = busPermissions(service, namespace);
      expect(subscribe).toEqual([`${service}.>`, `_INBOX.${service}.>`]);
      const others = SERVICES.filter((s) => s !== service);
      for (const other of others) {
        expect(publish).not.toContain(`evt.${other}.>`);
        expect(publish).not.toContain(`_INBOX.${other}.>`);
      }
      expect(publish.filter((s) => s.startsWith('evt.'))).toEqual([`evt.${service}.>`]);
      expect(publish.filter((s) => s.includes('>') && !s.startsWith('$JS.') && !s.startsWith('evt.') && !s.endsWith('.>'))).toEqual([]);
      // nothing that deletes or purges the stream or a consumer
      expect(publish.filter((s) => /DELETE|PURGE|\$JS\.API\.>/.test(s))).toEqual([]);
    }
    for (const service of SERVICES) {
      const requests = busPermissions(service, namespace).publish.filter((s) => !s.startsWith('$JS') && !s.startsWith('evt.'));
      const broadcasts = service === 'gateway' ? ['gateway.identity.changed'] : [];
      const asked = service === 'gateway' ? SERVICE_CALLS.gateway.map((callee) => `${callee}.>`) : SERVICE_REQUESTS[service].map((rpc) => rpc.subject);
      expect(requests).toEqual([...asked, ...broadcasts]);
    }
    expect(busPermissions('billing', namespace).publish.filter((s) => !s.startsWith('$JS') && !s.startsWith('evt.'))).toEqual([]);
    expect(busPermissions('ordering', namespace).publish.filter((s) => !s.startsWith('$JS') && !s.startsWith('evt.'))).toEqual([
      'catalog.offer.get',
      'catalog.exclusive.reserve',
      'catalog.exclusive.release',
    ]);
    expect(busPermissions('gateway', namespace).publish).toEqual(expect.arrayContaining(['catalog.>', 'ordering.>', 'billing.>', 'delivery.>', 'gateway.identity.changed']));
  });

  it('follow TROVE_NAMESPACE: subjects, inboxes and the stream of a namespace only', () => {
    const namespace = new Namespace('staging');
    const { publish, subscribe } = busPermissions('ordering' as ServiceName, namespace);
    expect(subscribe).toEqual(['staging.ordering.>', '_INBOX.staging.ordering.>']);
    expect(inboxPrefix(namespace, 'ordering')).toBe('_INBOX.staging.ordering');
    expect(publish).toContain('staging.evt.ordering.>');
    expect(publish).toContain('$JS.API.CONSUMER.CREATE.TROVE_EVENTS_staging.ordering_order-payments.staging.evt.>');
    expect(publish.filter((s) => s.startsWith('$JS.') && s !== '$JS.API.INFO' && !s.includes('TROVE_EVENTS_staging'))).toEqual([]);
    expect(natsAuthorizationConfig(namespace)).not.toMatch(/"(catalog|ordering|evt)\./);
  });

  it('name no anonymous user and take every password from the environment', () => {
    const config = natsAuthorizationConfig(new Namespace(''));
    expect(config).not.toMatch(/^\s*no_auth_user/m);
    expect(config.match(/password: \$TROVE_NATS_[A-Z]+_PASSWORD$/gm)).toHaveLength(SERVICES.length);
  });
});
