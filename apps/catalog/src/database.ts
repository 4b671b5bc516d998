import { messagingEntities } from '@trove/messaging';
import { Dataset } from './datasets/dataset.entity';
import { ExclusiveSale } from './offers/exclusive-sale.entity';
import { Offer } from './offers/offer.entity';
import { Sample } from './samples/sample.entity';
import { VendorProfile } from './vendors/vendor-profile.entity';
import { DatasetVersion } from './versions/dataset-version.entity';
import { VersionFile } from './versions/version-file.entity';
import { CreateMessagingTables1764300000000 } from './migrations/1764300000000-CreateMessagingTables';
import { OrderEventsAndDeadLetters1764450000000 } from './migrations/1764450000000-OrderEventsAndDeadLetters';
import { CreateProcessedCommands1764460000000 } from './migrations/1764460000000-CreateProcessedCommands';
import { CreateDatasets1764300001000 } from './migrations/1764300001000-CreateDatasets';
import { CreateCatalog1764400000000 } from './migrations/1764400000000-CreateCatalog';
import { CreateDatasetSearch1764500000000 } from './migrations/1764500000000-CreateDatasetSearch';
import { NarrowDatasetSearch1764500001000 } from './migrations/1764500001000-NarrowDatasetSearch';
import { PartitionDatasetSearch1764500002000 } from './migrations/1764500002000-PartitionDatasetSearch';
import { SearchGeneration1764500003000 } from './migrations/1764500003000-SearchGeneration';
import { SearchFacetKey1764500004000 } from './migrations/1764500004000-SearchFacetKey';
import { SearchFacetTally1764500005000 } from './migrations/1764500005000-SearchFacetTally';
import { VersionFilePathFold1764500006000 } from './migrations/1764500006000-VersionFilePathFold';
import { OrganizationStanding1764500007000 } from './migrations/1764500007000-OrganizationStanding';
import { VersionFileTally1764500008000 } from './migrations/1764500008000-VersionFileTally';
import { SearchPricesWithoutMetered1764500009000 } from './migrations/1764500009000-SearchPricesWithoutMetered';
import { SearchFreeInEveryCurrency1764500010000 } from './migrations/1764500010000-SearchFreeInEveryCurrency';
import { SearchTokensForUnspacedScripts1764500011000 } from './migrations/1764500011000-SearchTokensForUnspacedScripts';

/** Everything in the catalog database, in the order the migrations were written. */
export const entities = [...messagingEntities, Dataset, DatasetVersion, VersionFile, Offer, ExclusiveSale, Sample, VendorProfile];
export const migrations = [CreateMessagingTables1764300000000, CreateDatasets1764300001000, CreateCatalog1764400000000, OrderEventsAndDeadLetters1764450000000, CreateProcessedCommands1764460000000, CreateDatasetSearch1764500000000, NarrowDatasetSearch1764500001000, PartitionDatasetSearch1764500002000, SearchGeneration1764500003000, SearchFacetKey1764500004000, SearchFacetTally1764500005000, VersionFilePathFold1764500006000, OrganizationStanding1764500007000, VersionFileTally1764500008000, SearchPricesWithoutMetered1764500009000, SearchFreeInEveryCurrency1764500010000, SearchTokensForUnspacedScripts1764500011000];
