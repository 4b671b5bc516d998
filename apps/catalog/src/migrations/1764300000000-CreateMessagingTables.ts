import { MessagingTablesV1Migration } from '@trove/messaging';

/** The outbox and inbox of the catalog database. */
export class CreateMessagingTables1764300000000 extends MessagingTablesV1Migration {
  readonly name = 'CreateMessagingTables1764300000000';
}
