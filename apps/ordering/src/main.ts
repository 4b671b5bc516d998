import { bootstrap } from '@trove/platform';
import { AppModule } from './app.module';

void bootstrap(AppModule, { service: 'ordering' });
