import { Module } from '@nestjs/common';
import { DatasetStatsRepository } from './dataset-stats.repository';
import { StatsHandler } from './stats.handler';

/** The catalog's part of the operators' figures. */
@Module({ providers: [DatasetStatsRepository, StatsHandler] })
export class StatsModule {}
