import { Injectable, RequestMethod, type INestApplicationContext, type OnApplicationBootstrap } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_RULE, type AccessRule } from '@trove/platform';
import { AUDITED, type AuditedAction } from './access.decorators';

export interface RouteDescription {
  method: string;
  path: string;
  controller: string;
  handler: string;
  /** What the route answers when it succeeds. */
  successStatus: number;
  rule?: AccessRule;
  audited?: AuditedAction;
}

function joinPath(...parts: (string | string[] | undefined)[]): string {
  const segments = parts.flatMap((p) => (Array.isArray(p) ? p[0] : p) ?? '').flatMap((p) => p.split('/')).filter(Boolean);
  return `/${segments.join('/')}`;
}

/** Every HTTP route the app serves, with the access rule and audit action it declares. */
export function describeRoutes(app: Pick<INestApplicationContext, 'get'>): RouteDescription[] {
  return routesOf(app.get(DiscoveryService), app.get(MetadataScanner), app.get(Reflector));
}

function routesOf(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): RouteDescription[] {
  const routes: RouteDescription[] = [];
  for (const wrapper of discovery.getControllers()) {
    const type = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!type || !wrapper.instance) continue;
    const base = Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined;
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, () => unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      routes.push({
        method: RequestMethod[method],
        path: joinPath(base, Reflect.getMetadata(PATH_METADATA, handler) as string | undefined),
        controller: type.name,
        handler: name,
        successStatus: (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === RequestMethod.POST ? 201 : 200),
        rule: reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler, type]),
        audited: reflector.get<AuditedAction | undefined>(AUDITED, handler),
      });
    }
  }
  return routes;
}

/**
 * Refuses to start a gateway with a route that declares no access rule, or a state-changing
 * route without an audit action: nothing is open, or unrecorded, by omission.
 */
@Injectable()
export class RouteRules implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const problems = routesOf(this.discovery, this.scanner, this.reflector).flatMap((route) => {
      const where = `${route.method} ${route.path} (${route.controller}.${route.handler})`;
      if (!route.rule) return [`${where} declares no access rule: add @Roles([...]) or @Public()`];
      if (route.method !== 'GET' && route.method !== 'HEAD' && route.rule.kind !== 'infrastructure' && !route.audited) {
        return [`${where} changes state but declares no @Audited(action, target)`];
      }
      return [];
    });
    if (problems.length > 0) throw new Error(`routes without rules:\n  ${problems.join('\n  ')}`);
  }
}
