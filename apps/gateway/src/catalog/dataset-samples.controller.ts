import { CatalogSubjects } from '@trove/contracts';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Audited } from '../audit/audited.decorator';
import { Public, Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { CreateSampleDto, SampleDownloadDto, SignedUploadDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Catalog')
@Controller('v1/datasets/:id/samples')
export class DatasetSamplesController {
  constructor(private readonly rpc: RpcClient) {}

  @Post()
  @HttpCode(201)
  @Roles(['vendor'])
  @Audited('dataset.sample.upload', 'dataset', { replays: false })
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

  @Get(':sampleId')
  @Public()
  @ApiOperation({
    summary: 'A sample with a signed URL of its bytes',
    description:
      'Who may see the dataset may have its samples: anyone for a published dataset (no API key needed), its vendor and admins in every state; 404 for everyone else, and for a sample the dataset does not have. ' +
      '`url` serves the bytes from delivery (GET or HEAD, Range, ETag) as an attachment, for an hour by default (SAMPLE_URL_TTL_SECONDS); a tampered or expired URL is 403, and once the vendor replaces the sample with other bytes the URL is 404.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'sampleId', format: 'uuid' })
  @ApiOkResponse({ type: SampleDownloadDto })
  @ApiProblems(400, 404, 503)
  get(@Param('id', uuidParam('id')) datasetId: string, @Param('sampleId', uuidParam('sampleId')) sampleId: string): Promise<SampleDownloadDto> {
    return this.rpc.send(CatalogSubjects.getSample, { datasetId, sampleId });
  }

  @Delete(':sampleId')
  @HttpCode(204)
  @Roles(['vendor'])
  @Audited('dataset.sample.remove', 'dataset')
  @ApiOperation({
    summary: 'Remove a sample',
    description:
      'Owning vendor only, in any state but in review (409 INVALID_STATE). The dataset\'s page no longer shows it, URLs handed out for it stop serving (404), its place among the SAMPLES_PER_DATASET and its bytes in the vendor\'s storage are free again, and the stored bytes are deleted. A sample the dataset does not have: 404.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'sampleId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'The sample is gone' })
  @ApiProblems(400, 404, 409, 503)
  async remove(@Param('id', uuidParam('id')) datasetId: string, @Param('sampleId', uuidParam('sampleId')) sampleId: string): Promise<void> {
    await this.rpc.send(CatalogSubjects.removeSample, { datasetId, sampleId });
  }
}
