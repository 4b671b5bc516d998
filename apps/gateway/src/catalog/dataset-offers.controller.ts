import { CatalogSubjects } from '@trove/contracts';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { CreateOfferDto, OfferDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Catalog')
@Controller('v1/datasets/:id/offers')
export class DatasetOffersController {
  constructor(private readonly rpc: RpcClient) {}

  @Post()
  @HttpCode(201)
  @Roles(['vendor'])
  @Audited('dataset.offer.create', 'dataset')
  @ApiOperation({
    summary: 'Offer a license on a dataset',
    description:
      'A license template with machine-readable terms (left out: the template\'s defaults) and a pricing; prices are positive integers of minor units. ' +
      '`buyerOrgId` makes it a private offer seen by that buyer alone. An exclusive offer that collides with a live exclusive sale (same territory, overlapping term) is 409 EXCLUSIVITY_CONFLICT. While the dataset is in review: 409 INVALID_STATE.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: OfferDto })
  @ApiProblems(400, 404, 409)
  create(@Param('id', uuidParam('id')) datasetId: string, @Body() body: CreateOfferDto): Promise<OfferDto> {
    return this.rpc.send(CatalogSubjects.createOffer, { ...body, datasetId });
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
