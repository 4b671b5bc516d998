import { messagingEntities } from '@trove/messaging';
import { Dataset } from './datasets/dataset.entity';
import { CreateMessagingTables1764300000000 } from './migrations/1764300000000-CreateMessagingTables';
import { CreateDatasets1764300001000 } from './migrations/1764300001000-CreateDatasets';

/** Everything in the catalog database, in the order the migrations were written. */
export const entities = [...messagingEntities, Dataset];
export const migrations = [CreateMessagingTables1764300000000, CreateDatasets1764300001000];
