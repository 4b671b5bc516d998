import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { entities, migrations } from './database';
import { DatasetsModule } from './datasets/datasets.module';

@Module({
  imports: [PlatformModule.forRoot({ service: 'catalog', entities, migrations }), MessagingModule.forRoot(), DatasetsModule],
})
export class AppModule {}
