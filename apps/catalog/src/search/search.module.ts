import { Module } from '@nestjs/common';
import { SearchHandler } from './search.handler';
import { SearchIndexer } from './search-indexer';
import { SearchRepository } from './search.repository';
import { SearchService } from './search.service';

/**
 * Catalog search: the `dataset_search` projection, its indexer (DatasetsModule provides it as
 * its DatasetIndexer) and the public search subject.
 */
@Module({
  providers: [SearchRepository, SearchIndexer, SearchService, SearchHandler],
  exports: [SearchIndexer, SearchService],
})
export class SearchModule {}
