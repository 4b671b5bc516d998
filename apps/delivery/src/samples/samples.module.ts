import { Module } from '@nestjs/common';
import { SampleObjectRepository } from './sample-object.repository';
import { SamplesController } from './samples.controller';
import { SamplesHandler } from './samples.handler';
import { SamplesService } from './samples.service';

/** Samples' public previews: signing their URLs for catalog, and serving their bytes. */
@Module({
  controllers: [SamplesController],
  providers: [SampleObjectRepository, SamplesService, SamplesHandler],
})
export class SamplesModule {}
