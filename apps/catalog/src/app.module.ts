import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { CatalogConfig } from './catalog.config';
import { entities, migrations } from './database';
import { DatasetsModule } from './datasets/datasets.module';
import { StatsModule } from './stats/stats.module';

@Module({
  imports: [PlatformModule.forRoot({ service: 'catalog', config: CatalogConfig, entities, migrations }), MessagingModule.forRoot(), DatasetsModule, StatsModule],
})
export class AppModule {}
