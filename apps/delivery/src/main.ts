import { bootstrap } from '@trove/platform';
import { AppModule } from './app.module';
import { deliveryOptions } from './delivery.options';

void bootstrap(AppModule, deliveryOptions);
