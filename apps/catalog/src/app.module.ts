import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { CatalogConfig } from './catalog.config';
import { entities, migrations } from './database';
import { DatasetsModule } from './datasets/datasets.module';

@Module({
  imports: [PlatformModule.forRoot({ service: 'catalog', config: CatalogConfig, entities, migrations }), MessagingModule.forRoot(), DatasetsModule],
})
export class AppModule {}
