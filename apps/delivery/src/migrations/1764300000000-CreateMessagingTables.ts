import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createMessagingTablesV1, dropMessagingTablesV1 } from '@trove/messaging';

/** The outbox and inbox of the delivery database. */
export class CreateMessagingTables1764300000000 implements MigrationInterface {
  name = 'CreateMessagingTables1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createMessagingTablesV1(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropMessagingTablesV1(queryRunner);
  }
}
