import { CatalogSubjects } from '@trove/contracts';
import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Public } from '../auth/access.decorators';
import { validationFailedFor } from '../openapi/params';
import { ApiProblems } from '../openapi/api-problems';
import { DatasetSummaryDto } from './dataset.dto';

@ApiTags('Catalog')
@Controller('v1/datasets')
export class DatasetsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'A dataset', description: 'Anyone for a published dataset; its vendor and admins otherwise.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetSummaryDto })
  @ApiProblems(400, 404, 503)
  get(@Param('id', new ParseUUIDPipe({ exceptionFactory: validationFailedFor('id') })) id: string): Promise<DatasetSummaryDto> {
    return this.rpc.send(CatalogSubjects.getDataset, { id });
  }
}
