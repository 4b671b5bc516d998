import { CatalogSubjects } from '@trove/contracts';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { CreateSampleDto, SignedUploadDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Catalog')
@Controller('v1/datasets/:id/samples')
export class DatasetSamplesController {
  constructor(private readonly rpc: RpcClient) {}

  @Post()
  @HttpCode(201)
  @Roles(['vendor'])
  @Audited('dataset.sample.upload', 'dataset')
  @ApiOperation({
    summary: 'A signed URL to upload a public sample file',
    description: 'The same flow as a version file; samples are size-capped (SAMPLE_MAX_BYTES, 10 MiB by default): a larger declared size or body is 413. While the dataset is in review: 409 INVALID_STATE.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: SignedUploadDto })
  @ApiProblems(400, 404, 409, 413, 503)
  create(@Param('id', uuidParam('id')) datasetId: string, @Body() body: CreateSampleDto): Promise<SignedUploadDto> {
    return this.rpc.send(CatalogSubjects.createUpload, { target: 'sample', datasetId, ...body });
  }
}
