import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../identity/organizations.module';
import { AdminDatasetsController } from './admin-datasets.controller';
import { DatasetOffersController } from './dataset-offers.controller';
import { DatasetSamplesController } from './dataset-samples.controller';
import { DatasetVersionsController } from './dataset-versions.controller';
import { DatasetsController } from './datasets.controller';
import { VendorsController } from './vendors.controller';

/** The catalog's public routes: each one a request to the catalog service over NATS. */
@Module({
  // The organizations: a private offer must name a buyer.
  imports: [OrganizationsModule],
  controllers: [DatasetsController, DatasetVersionsController, DatasetOffersController, DatasetSamplesController, AdminDatasetsController, VendorsController],
})
export class CatalogModule {}
