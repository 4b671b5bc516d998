import { bootstrap } from '@trove/platform';
import { AppModule } from './app.module';
import { GatewayConfig } from './gateway.config';
import { serveOpenApi } from './openapi/openapi';

void bootstrap(AppModule, { service: 'gateway', config: GatewayConfig, configure: serveOpenApi });
