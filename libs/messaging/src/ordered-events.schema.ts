import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second version of the messaging tables, the same in every service's database:
 * - the outbox gets a write order (`seq`), the aggregate each event is about with its place in
 *   that aggregate's history, and a claim lease, so relays publish outside any transaction and
 *   one aggregate's events in the order they were written;
 * - `outbox_aggregate` numbers each aggregate's events as they are written;
 * - `event_position` is how far each consumer got in each aggregate's history;
 * - `event_attempt` counts a consumer's failed attempts at an event;
 * - `dead_letter` keeps the events a consumer gave up on, until an operator replays them.
 */
export async function createOrderedEventTables(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    ALTER TABLE outbox
      ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY,
      ADD COLUMN aggregate_type text NULL,
      ADD COLUMN aggregate_id text NULL,
      ADD COLUMN aggregate_seq bigint NULL,
      ADD COLUMN aggregate_previous jsonb NULL,
      ADD COLUMN claimed_until timestamptz NULL`);
  await queryRunner.query(`DROP INDEX outbox_unpublished_idx`);
  await queryRunner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL`);
  await queryRunner.query(
    `CREATE INDEX outbox_unpublished_aggregate_idx ON outbox (aggregate_type, aggregate_id, seq) WHERE published_at IS NULL`,
  );
  await queryRunner.query(`
    CREATE TABLE outbox_aggregate (
      aggregate_type text NOT NULL,
      aggregate_id text NOT NULL,
      last_seq bigint NOT NULL,
      last_by_subject jsonb NOT NULL,
      previous_by_subject jsonb NOT NULL,
      PRIMARY KEY (aggregate_type, aggregate_id)
    )`);
  await queryRunner.query(`
    CREATE TABLE event_position (
      consumer text NOT NULL,
      aggregate_type text NOT NULL,
      aggregate_id text NOT NULL,
      last_seq bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, aggregate_type, aggregate_id)
    )`);
  await queryRunner.query(`
    CREATE TABLE event_attempt (
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      attempts integer NOT NULL,
      last_error text NOT NULL,
      first_failed_at timestamptz NOT NULL,
      last_failed_at timestamptz NOT NULL,
      PRIMARY KEY (consumer, event_id)
    )`);
  await queryRunner.query(`
    CREATE TABLE dead_letter (
      id uuid PRIMARY KEY,
      consumer text NOT NULL,
      subject text NOT NULL,
      event_id uuid NULL,
      aggregate_type text NULL,
      aggregate_id text NULL,
      aggregate_seq bigint NULL,
      payload jsonb NULL,
      body text NOT NULL,
      headers jsonb NOT NULL,
      reason text NOT NULL CONSTRAINT dead_letter_reason_check CHECK (reason IN ('failed', 'malformed', 'blocked')),
      error text NOT NULL,
      attempts integer NOT NULL,
      stream_seq bigint NULL,
      first_failed_at timestamptz NOT NULL,
      dead_at timestamptz NOT NULL,
      replayed_at timestamptz NULL,
      replay_outcome text NULL
        CONSTRAINT dead_letter_replay_outcome_check CHECK (replay_outcome IN ('applied', 'already-applied', 'failed', 'blocked', 'malformed'))
    )`);
  await queryRunner.query(`CREATE UNIQUE INDEX dead_letter_event_idx ON dead_letter (consumer, event_id) WHERE event_id IS NOT NULL`);
  await queryRunner.query(`CREATE INDEX dead_letter_listing_idx ON dead_letter (dead_at, id)`);
  await queryRunner.query(
    `CREATE INDEX dead_letter_unreplayed_idx ON dead_letter (consumer, aggregate_type, aggregate_id) WHERE replayed_at IS NULL`,
  );
}

export async function dropOrderedEventTables(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`DROP TABLE dead_letter`);
  await queryRunner.query(`DROP TABLE event_attempt`);
  await queryRunner.query(`DROP TABLE event_position`);
  await queryRunner.query(`DROP TABLE outbox_aggregate`);
  await queryRunner.query(`DROP INDEX outbox_unpublished_aggregate_idx`);
  await queryRunner.query(`DROP INDEX outbox_unpublished_idx`);
  await queryRunner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (occurred_at) WHERE published_at IS NULL`);
  await queryRunner.query(`
    ALTER TABLE outbox
      DROP COLUMN claimed_until,
      DROP COLUMN aggregate_previous,
      DROP COLUMN aggregate_seq,
      DROP COLUMN aggregate_id,
      DROP COLUMN aggregate_type,
      DROP COLUMN seq`);
}

/** Base of each app's own "ordered events and dead letters" migration. */
export abstract class OrderedEventTablesMigration implements MigrationInterface {
  abstract readonly name: string;

  async up(queryRunner: QueryRunner): Promise<void> {
    await createOrderedEventTables(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropOrderedEventTables(queryRunner);
  }
}
