import { messagingEntities } from '@trove/messaging';
import { CreateMessagingTables1764300000000 } from './migrations/1764300000000-CreateMessagingTables';

/** Everything in the delivery database, in the order the migrations were written. */
export const entities = [...messagingEntities];
export const migrations = [CreateMessagingTables1764300000000];
