import { DeliverySubjects } from '@trove/contracts';
import { Controller, Get, HttpCode, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import type { FastifyReply } from 'fastify';
import { Roles } from '../auth/access.decorators';
import { uuidParam } from '../catalog/params';
import { ApiProblems } from '../openapi/api-problems';
import { LocatedFileDto } from './delivery.dto';

@ApiTags('Delivery')
@Controller('v1/datasets/:id/versions/:versionId/files')
export class DatasetFilesController {
  constructor(private readonly rpc: RpcClient) {}

  @Get('*')
  @Roles(['buyer'])
  @HttpCode(302)
  @ApiOperation({
    summary: "One file of a version, by its path: a redirect to a fresh signed download URL",
    description:
      "Each file's `contentUrl` on a dataset's Croissant card. For a buyer whose entitlement covers the version, `302` to a signed URL of the file on delivery (as its manifest lists it), with the file's path, size, SHA-256 and the URL in the body for clients that do not follow redirects. " +
      'Checked as the manifest is: a revoked entitlement is 403 ENTITLEMENT_REVOKED, an ended one 403 ENTITLEMENT_EXPIRED, a renewal not yet begun 403 ENTITLEMENT_NOT_STARTED, a license whose seats are taken 403 SEATS_EXCEEDED. ' +
      'A file, version or dataset that no entitlement of the caller covers is 404. The path is the file\'s, percent-encoded segment by segment.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'versionId', format: 'uuid' })
  @ApiResponse({ status: 302, type: LocatedFileDto, description: 'Location: the signed URL', headers: { location: { schema: { type: 'string' }, description: 'The signed download URL' } } })
  @ApiProblems(400, 403, 404, 503)
  async file(
    @Param('id', uuidParam('id')) datasetId: string,
    @Param('versionId', uuidParam('versionId')) versionId: string,
    @Param('*') path: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LocatedFileDto> {
    const located = await this.rpc.send(DeliverySubjects.locateFile, { datasetId, versionId, path });
    // The URL is the caller's: no cache between them may keep it.
    void reply.header('location', located.url).header('cache-control', 'private, no-store');
    return located;
  }
}
