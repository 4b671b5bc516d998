import { DeliverySubjects } from '@trove/contracts';
import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { RequestContext } from '@trove/platform';
import { Readable } from 'node:stream';
import { Roles } from '../auth/access.decorators';
import { uuidParam } from '../catalog/params';
import { ApiProblems } from '../openapi/api-problems';
import { DiffQuery, EntitlementListDto, EntitlementsQuery, ManifestDto, VersionDiffDto } from './delivery.dto';
import { manifestJson } from './manifest-json';

@ApiTags('Delivery')
@Controller('v1/entitlements')
export class EntitlementsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @Roles(['buyer'])
  @ApiOperation({
    summary: "The caller's entitlements, newest first, a page at a time",
    description:
      'One per paid order line: `active`, `revoked` (refunded) or `expired` (the license term ended, or the subscription lapsed). `?status=` narrows them. ' +
      '`?limit=` (default 20, at most 100) per page; pass `nextCursor` as `?cursor=` for the next page (null on the last).',
  })
  @ApiOkResponse({ type: EntitlementListDto })
  @ApiProblems(400, 503)
  list(@Query() query: EntitlementsQuery): Promise<EntitlementListDto> {
    return this.rpc.send(DeliverySubjects.listEntitlements, { status: query.status, limit: query.limit, cursor: query.cursor });
  }

  @Get(':id/manifest')
  @Roles(['buyer'])
  @ApiOperation({
    summary: 'Every file of the entitlement, with fresh signed download URLs',
    description:
      'Per version: each file with its path, size, SHA-256 and a signed URL (valid for hours; read the manifest again for new ones), and a Merkle root signed with Ed25519 ' +
      '(how to verify it: docs/downloads.md). Another buyer\'s entitlement is 404; a revoked one 403 ENTITLEMENT_REVOKED, an ended one 403 ENTITLEMENT_EXPIRED, a renewal not yet begun 403 ENTITLEMENT_NOT_STARTED, a license whose seats are taken 403 SEATS_EXCEEDED.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ManifestDto })
  @ApiProblems(400, 403, 404, 503)
  async manifest(@Param('id', uuidParam('id')) id: string): Promise<StreamableFile> {
    // Delivery answers a page at a time (a reply must fit in a NATS message): one call for a
    // manifest of a few thousand files, one more per half MiB of file entries beyond. A refusal
    // comes with the first page, before anything is written, as problem+json like any error.
    const first = await this.rpc.send(DeliverySubjects.getManifest, { id });
    // The later pages are asked for as the client reads, outside this request's async context:
    // they carry its caller and correlation id explicitly.
    const context = RequestContext.current();
    const nextPage = (cursor: string) => {
      const send = () => this.rpc.send(DeliverySubjects.getManifest, { id, cursor });
      return context ? RequestContext.run(context, send) : send();
    };
    // Written as the pages arrive, so a manifest of hundreds of MB holds about a page in memory.
    // A later page that fails (a refund or a revoked key meanwhile, delivery gone) can only cut
    // the answer off: its JSON is then incomplete.
    return new StreamableFile(Readable.from(manifestJson(first, nextPage), { objectMode: false }), { type: 'application/json; charset=utf-8' });
  }

  @Get(':id/diff')
  @Roles(['buyer'])
  @ApiOperation({
    summary: 'Files added, removed and changed between two versions of the entitlement, a page at a time',
    description:
      'Both versions must be covered by the entitlement (404 otherwise). `changed` lists paths whose size or SHA-256 differ. A refunded or expired entitlement is `403 ENTITLEMENT_REVOKED` or `ENTITLEMENT_EXPIRED`, and one not yet begun `ENTITLEMENT_NOT_STARTED`, on every page. ' +
      'A page holds the next differences in path order: `?limit=` (default 500, at most 1,000) entries of the three lists together, fewer when they would pass about 512 KiB of JSON; pass `nextCursor` as `?cursor=` for the next page (null on the last).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: VersionDiffDto })
  @ApiProblems(400, 403, 404, 503)
  diff(@Param('id', uuidParam('id')) id: string, @Query() query: DiffQuery): Promise<VersionDiffDto> {
    return this.rpc.send(DeliverySubjects.diffVersions, { id, from: query.from, to: query.to, limit: query.limit, cursor: query.cursor });
  }
}
