import { CatalogSearchSubjects, SearchDatasetsRequest, type DatasetSearchPage } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler } from '@trove/messaging';
import { SearchService } from './search.service';

/** Search is public: whoever asks sees published datasets only, so the caller does not matter. */
@Injectable()
export class SearchHandler {
  constructor(private readonly search: SearchService) {}

  @RpcHandler(CatalogSearchSubjects.searchDatasets)
  searchDatasets(request: SearchDatasetsRequest): Promise<DatasetSearchPage> {
    return this.search.search(request);
  }
}
