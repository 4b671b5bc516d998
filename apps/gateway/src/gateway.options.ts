import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { BootstrapOptions } from '@trove/platform';
import { GatewayConfig } from './gateway.config';
import { acceptJsonBodiesOnly } from './http/json-body';
import { lowerCaseIdsInPaths } from './http/path-ids';
import { limitRequestTime } from './http/request-timeout';
import { serveOpenApi } from './openapi/openapi';

/**
 * The gateway's HTTP edge on top of what every app has: JSON bodies only, ids in lower case, a
 * time limit per request, and the OpenAPI pages.
 */
function configureGateway(app: NestFastifyApplication, config: GatewayConfig): void {
  acceptJsonBodiesOnly(app);
  lowerCaseIdsInPaths(app);
  limitRequestTime(app, config);
  serveOpenApi(app);
}

export const gatewayOptions: BootstrapOptions<GatewayConfig> = { service: 'gateway', config: GatewayConfig, configure: configureGateway };
