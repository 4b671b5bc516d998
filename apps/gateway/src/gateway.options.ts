import type { BootstrapOptions } from '@trove/platform';
import { GatewayConfig } from './gateway.config';
import { serveOpenApi } from './openapi/openapi';

export const gatewayOptions: BootstrapOptions<GatewayConfig> = { service: 'gateway', config: GatewayConfig, configure: serveOpenApi };
