import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox and inbox tables, the same in every service's database. Each app's own migration
 * calls these, so the schema is versioned with the app that owns the database.
 */
export async function createMessagingTablesV1(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE outbox (
      id uuid PRIMARY KEY,
      subject text NOT NULL,
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}'::jsonb,
      occurred_at timestamptz NOT NULL,
      published_at timestamptz NULL,
      attempts integer NOT NULL DEFAULT 0
    )`);
  await queryRunner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (occurred_at) WHERE published_at IS NULL`);
  await queryRunner.query(`
    CREATE TABLE inbox (
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      subject text NOT NULL,
      handled_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    )`);
}

export async function dropMessagingTablesV1(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`DROP TABLE inbox`);
  await queryRunner.query(`DROP TABLE outbox`);
}

/**
 * Base of each app's own "create the outbox and inbox" migration: the app's file names it with
 * its own timestamp, the schema stays the same everywhere.
 */
export abstract class MessagingTablesV1Migration implements MigrationInterface {
  abstract readonly name: string;

  async up(queryRunner: QueryRunner): Promise<void> {
    await createMessagingTablesV1(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropMessagingTablesV1(queryRunner);
  }
}
