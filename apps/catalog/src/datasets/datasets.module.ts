import { Module } from '@nestjs/common';
import { SearchIndexer } from '../search/search-indexer';
import { SearchModule } from '../search/search.module';
import { OffersHandler } from '../offers/offers.handler';
import { OfferRepository } from '../offers/offer.repository';
import { OffersService } from '../offers/offers.service';
import { SampleRepository } from '../samples/sample.repository';
import { SamplesHandler } from '../samples/samples.handler';
import { SamplesService } from '../samples/samples.service';
import { ListedObjectsRepository } from '../uploads/listed-objects.repository';
import { UploadsHandler } from '../uploads/uploads.handler';
import { UploadsService } from '../uploads/uploads.service';
import { OrganizationStandingRepository } from '../vendors/organization-standing.repository';
import { OrganizationStandingService } from '../vendors/organization-standing.service';
import { StandingGate } from '../vendors/standing-gate';
import { StorageQuota } from '../vendors/storage-quota';
import { VendorsHandler } from '../vendors/vendors.handler';
import { VendorProfileRepository } from '../vendors/vendor-profile.repository';
import { VendorsService } from '../vendors/vendors.service';
import { VersionsHandler } from '../versions/versions.handler';
import { VersionRepository } from '../versions/version.repository';
import { VersionsService } from '../versions/versions.service';
import { DatasetIndexer } from './dataset-indexer';
import { DatasetRecipientsService } from './dataset-recipients.service';
import { DatasetRepository } from './dataset.repository';
import { DatasetsHandler } from './datasets.handler';
import { DatasetsService } from './datasets.service';

/**
 * Listings and everything that hangs off them: versions and files, offers and exclusive sales,
 * samples, uploads, vendor profiles and vendors' standing. One module, since they all lock the dataset row.
 * Search replaces `DatasetIndexer` here with its projection.
 */
@Module({
  imports: [SearchModule],
  providers: [
    DatasetRepository,
    VersionRepository,
    OfferRepository,
    SampleRepository,
    VendorProfileRepository,
    { provide: DatasetIndexer, useExisting: SearchIndexer },
    DatasetsService,
    DatasetsHandler,
    DatasetRecipientsService,
    VersionsService,
    VersionsHandler,
    OffersService,
    OffersHandler,
    SamplesService,
    SamplesHandler,
    UploadsService,
    UploadsHandler,
    ListedObjectsRepository,
    StorageQuota,
    VendorsService,
    VendorsHandler,
    OrganizationStandingRepository,
    OrganizationStandingService,
    StandingGate,
  ],
  exports: [DatasetsService, DatasetIndexer],
})
export class DatasetsModule {}
