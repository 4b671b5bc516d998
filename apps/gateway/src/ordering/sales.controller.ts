import { OrderingSubjects } from '@trove/contracts';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Roles } from '../auth/access.decorators';
import { OrganizationNames } from '../identity/organization-names';
import { ApiProblems } from '../openapi/api-problems';
import { SalePageDto, SalesQuery } from './ordering.dto';

@ApiTags('Ordering')
@Controller('v1/sales')
export class SalesController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly organizationNames: OrganizationNames,
  ) {}

  @Get()
  @Roles(['vendor'])
  @ApiOperation({
    summary: "The vendor's sales, newest first",
    description:
      "The order lines of paid orders that sold its datasets (refunded ones included, with their status); nobody else's. `datasetId` keeps one listing's sales (another vendor's listing lists nothing), " +
      '`buyerOrganizationId` the sales to one buyer; a `nextCursor` pages the list with the filters it was given only.',
  })
  @ApiOkResponse({ type: SalePageDto })
  @ApiProblems(400, 503)
  async list(@Query() query: SalesQuery): Promise<SalePageDto> {
    const { limit, cursor, datasetId, buyerOrganizationId } = query;
    return this.organizationNames.attach(await this.rpc.send(OrderingSubjects.listSales, { limit, cursor, datasetId, buyerOrganizationId }));
  }
}
