import { bootstrap } from '@trove/platform';
import { AppModule } from './app.module';
import { gatewayOptions } from './gateway.options';

void bootstrap(AppModule, gatewayOptions);
