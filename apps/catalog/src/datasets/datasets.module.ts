import { Module } from '@nestjs/common';
import { DatasetRepository } from './dataset.repository';
import { DatasetsHandler } from './datasets.handler';

@Module({ providers: [DatasetRepository, DatasetsHandler] })
export class DatasetsModule {}
