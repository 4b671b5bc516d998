import { CatalogSubjects } from '@trove/contracts';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { PageQuery } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Public, Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { CreateUploadDto, CreateVersionDto, SignedUploadDto, VersionDto, VersionFilePageDto, VersionFilesQuery, VersionPageDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Catalog')
@Controller('v1/datasets/:id/versions')
export class DatasetVersionsController {
  constructor(private readonly rpc: RpcClient) {}

  @Post()
  @HttpCode(201)
  @Roles(['vendor'])
  @Audited('dataset.version.create', 'dataset')
  @ApiOperation({ summary: 'Open a new version', description: 'Owning vendor only. Files are uploaded to an open version, then it is released. While the dataset is in review: 409 INVALID_STATE.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: VersionDto })
  @ApiProblems(400, 404, 409)
  create(@Param('id', uuidParam('id')) datasetId: string, @Body() body: CreateVersionDto): Promise<VersionDto> {
    return this.rpc.send(CatalogSubjects.createVersion, { datasetId, version: body.version, changelog: body.changelog });
  }

  @Get()
  @Public()
  @ApiOperation({
    summary: "A dataset's versions, newest first, a page at a time",
    description:
      'Each version with its fileCount and none of its files (GET .../versions/:versionId/files lists them). The dataset\'s page shows the newest versions only, with versionCount; this lists them all. ' +
      'Who may see the dataset\'s page sees its released versions; its vendor and admins its open ones too (404 for everyone else). ' +
      'A page of very long changelogs may hold fewer than `limit` versions: follow `nextCursor`.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: VersionPageDto })
  @ApiProblems(400, 404, 503)
  list(@Param('id', uuidParam('id')) datasetId: string, @Query() query: PageQuery): Promise<VersionPageDto> {
    return this.rpc.send(CatalogSubjects.listVersions, { datasetId, limit: query.limit, cursor: query.cursor });
  }

  @Get(':versionId/files')
  @Public()
  @ApiOperation({
    summary: "A version's files, a page at a time",
    description:
      'Path, size and SHA-256 of every file, in path order. The listing\'s page shows each version\'s fileCount and first files only; this lists them all. ' +
      'Who may see the listing\'s page may list its released versions; its vendor and admins its open ones too (404 for everyone else).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'versionId', format: 'uuid' })
  @ApiOkResponse({ type: VersionFilePageDto })
  @ApiProblems(400, 404, 503)
  files(
    @Param('id', uuidParam('id')) datasetId: string,
    @Param('versionId', uuidParam('versionId')) versionId: string,
    @Query() query: VersionFilesQuery,
  ): Promise<VersionFilePageDto> {
    return this.rpc.send(CatalogSubjects.listVersionFiles, { datasetId, versionId, limit: query.limit, cursor: query.cursor });
  }

  @Post(':versionId/uploads')
  @HttpCode(201)
  @Roles(['vendor'])
  @Audited('dataset.version.upload', 'dataset', { replays: false })
  @ApiOperation({
    summary: 'A signed URL to upload one file of an open version',
    description:
      'PUT the bytes to `uploadUrl` (delivery): the answer is 201 {path, size, sha256}. A declared size or SHA-256 that does not match: 422, nothing kept. ' +
      'Uploading the same path again replaces the file. Unsafe paths (absolute, `..`, backslashes or characters that look like a slash or a backslash, control or bidirectional-control characters, invalid Unicode) are 400; a released version is 409, and so is a path that clashes on a buyer\'s disk with a file of the version (differs only in letter case, or a file where there is a folder of that name). While the dataset is in review: 409 INVALID_STATE.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'versionId', format: 'uuid' })
  @ApiCreatedResponse({ type: SignedUploadDto })
  @ApiProblems(400, 404, 409, 503)
  upload(
    @Param('id', uuidParam('id')) datasetId: string,
    @Param('versionId', uuidParam('versionId')) versionId: string,
    @Body() body: CreateUploadDto,
  ): Promise<SignedUploadDto> {
    return this.rpc.send(CatalogSubjects.createUpload, { target: 'version-file', datasetId, versionId, ...body });
  }

  @Delete(':versionId/files/*')
  @HttpCode(204)
  @Roles(['vendor'])
  @Audited('dataset.version.file.remove', 'dataset')
  @ApiOperation({
    summary: 'Remove one file from an open version',
    description:
      'Owning vendor only: a stray upload, or a file under the wrong path, leaves the version before it is released. The version\'s fileCount and totalBytes drop with it, the space counts again towards the vendor\'s storage, and the stored bytes are deleted. ' +
      'The path is the file\'s, exactly as the version lists it, percent-encoded segment by segment. A released version\'s files are frozen: 409 INVALID_STATE, as while the dataset is in review. A path the version does not list: 404.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'versionId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'The file is no longer part of the version' })
  @ApiProblems(400, 404, 409, 503)
  async removeFile(@Param('id', uuidParam('id')) datasetId: string, @Param('versionId', uuidParam('versionId')) versionId: string, @Param('*') path: string): Promise<void> {
    await this.rpc.send(CatalogSubjects.removeVersionFile, { datasetId, versionId, path });
  }

  @Post(':versionId/release')
  @HttpCode(200)
  @Roles(['vendor'])
  @Audited('dataset.version.release', 'dataset')
  @ApiOperation({ summary: 'Release a version', description: 'Freezes its file list: `status: "released"`. A version without files: 409. While the dataset is in review: 409 INVALID_STATE.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'versionId', format: 'uuid' })
  @ApiOkResponse({ type: VersionDto })
  @ApiProblems(400, 404, 409)
  release(@Param('id', uuidParam('id')) datasetId: string, @Param('versionId', uuidParam('versionId')) versionId: string): Promise<VersionDto> {
    return this.rpc.send(CatalogSubjects.releaseVersion, { datasetId, versionId });
  }
}
