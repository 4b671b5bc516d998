import { CatalogSearchSubjects, DatasetSearchPage, SearchDatasetsRequest } from '@trove/contracts';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Public } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';

@ApiTags('Catalog')
@Controller('v1/datasets')
export class SearchController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'Search published datasets',
    description:
      'Full text in Chinese and English over titles, descriptions, tags and the Chinese and English names of modality, domain, annotation and languages (`语音` finds a speech dataset whose title lacks the word); every word of `q` must match, title matches rank first. ' +
      'Filters combine with AND. `facets` counts every match (not just the page) per modality, language (the 100 most frequent tags), domain and license template. Drafts, datasets in review, rejected and suspended ones never appear. ' +
      'A page holds fewer than `limit` hits when they would not fit in one answer: follow `nextCursor`. ' +
      'An unknown parameter or a bad value is 400 naming the field.',
  })
  @ApiOkResponse({ type: DatasetSearchPage })
  @ApiProblems(400, 503)
  search(@Query() query: SearchDatasetsRequest): Promise<DatasetSearchPage> {
    return this.rpc.send(CatalogSearchSubjects.searchDatasets, { ...query });
  }
}
