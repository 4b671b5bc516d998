import { Module } from '@nestjs/common';
import { SearchController } from './search.controller';

/** `GET /v1/datasets`: search over the catalog's projection of published datasets. */
@Module({ controllers: [SearchController] })
export class SearchModule {}
