import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { BootstrapOptions } from '@trove/platform';
import { GatewayConfig } from './gateway.config';
import { acceptJsonBodiesOnly } from './http/json-body';
import { lowerCaseIdsInPaths } from './http/path-ids';
import { serveOpenApi } from './openapi/openapi';

/** The gateway's HTTP edge on top of what every app has: JSON bodies only, ids in lower case, and the OpenAPI pages. */
function configureGateway(app: NestFastifyApplication): void {
  acceptJsonBodiesOnly(app);
  lowerCaseIdsInPaths(app);
  serveOpenApi(app);
}

export const gatewayOptions: BootstrapOptions<GatewayConfig> = { service: 'gateway', config: GatewayConfig, configure: configureGateway };
