import { CatalogSubjects, CommonErrorCode } from '@trove/contracts';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { OrganizationRepository } from '../identity/organization.repository';
import { ApiProblems } from '../openapi/api-problems';
import { CreateOfferDto, OfferDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Catalog')
@Controller('v1/datasets/:id/offers')
export class DatasetOffersController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly unitOfWork: UnitOfWork,
    private readonly organizations: OrganizationRepository,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles(['vendor'])
  @Audited('dataset.offer.create', 'dataset')
  @ApiOperation({
    summary: 'Offer a license on a dataset',
    description:
      'A license template with machine-readable terms (left out: the template\'s defaults) and a pricing; prices are positive integers of minor units. ' +
      '`buyerOrgId` makes it a private offer seen by that buyer alone; it must name a buyer organization (400 VALIDATION_FAILED otherwise: an offer no one can buy would only take one of the listing\'s places). An exclusive offer that collides with a live exclusive sale (same territory, overlapping term) is 409 EXCLUSIVITY_CONFLICT. While the dataset is in review: 409 INVALID_STATE.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: OfferDto })
  @ApiProblems(400, 404, 409)
  async create(@Param('id', uuidParam('id')) datasetId: string, @Body() body: CreateOfferDto, @CurrentPrincipal() principal: Principal): Promise<OfferDto> {
    // The catalog keeps no organizations; the gateway does, and a private offer for anything but
    // a buyer (an unknown id, a vendor, the vendor itself) could never be ordered. Asked only of
    // the listing's own vendor: anyone else learns nothing of which ids are buyers, only the 404
    // the catalog would answer.
    if (body.buyerOrgId != null) {
      const listing = await this.rpc.send(CatalogSubjects.getDataset, { id: datasetId });
      if (listing.vendorOrganizationId !== principal.organizationId) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No dataset ${datasetId}.`);
      if ((await this.unitOfWork.read(() => this.organizations.kindOf(body.buyerOrgId!))) !== 'buyer') {
        throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'buyerOrgId: no buyer organization has this id', [
          { field: 'buyerOrgId', problems: ['buyerOrgId must be the id of a buyer organization'] },
        ]);
      }
    }
    return await this.rpc.send(CatalogSubjects.createOffer, { ...body, datasetId });
  }

  @Post(':offerId/withdraw')
  @HttpCode(200)
  @Roles(['vendor'])
  @Audited('dataset.offer.withdraw', 'dataset')
  @ApiOperation({ summary: 'Withdraw an offer', description: 'It can no longer be ordered; orders already placed keep their license. Withdrawing twice is harmless.' + ' While the dataset is in review: 409 INVALID_STATE.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'offerId', format: 'uuid' })
  @ApiOkResponse({ type: OfferDto })
  @ApiProblems(400, 404, 409)
  withdraw(@Param('id', uuidParam('id')) datasetId: string, @Param('offerId', uuidParam('offerId')) offerId: string): Promise<OfferDto> {
    return this.rpc.send(CatalogSubjects.withdrawOffer, { datasetId, offerId });
  }
}
