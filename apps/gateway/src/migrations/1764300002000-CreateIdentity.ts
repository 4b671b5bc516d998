import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdentity1764300002000 implements MigrationInterface {
  name = 'CreateIdentity1764300002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE organization (
        id uuid PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('vendor', 'buyer', 'admin')),
        status text NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
        contact_email text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX organization_kind_status_idx ON organization (kind, status, created_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL REFERENCES organization (id),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        display_prefix text NOT NULL,
        secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
        created_by_key_id uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NULL,
        last_used_at timestamptz NULL,
        revoked_at timestamptz NULL
      )`);
    await queryRunner.query(`CREATE INDEX api_key_organization_idx ON api_key (organization_id, created_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE audit_event (
        id uuid PRIMARY KEY,
        at timestamptz NOT NULL,
        actor_organization_id uuid NULL,
        actor_key_id uuid NULL,
        actor_role text NULL,
        action text NOT NULL,
        target_type text NULL,
        target_id text NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
        status integer NOT NULL,
        error_code text NULL,
        correlation_id text NOT NULL,
        ip text NULL
      )`);
    await queryRunner.query(`CREATE INDEX audit_event_time_idx ON audit_event (at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_event_actor_idx ON audit_event (actor_organization_id, at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_event_key_idx ON audit_event (actor_key_id, at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_event_action_idx ON audit_event (action, at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_event`);
    await queryRunner.query(`DROP TABLE api_key`);
    await queryRunner.query(`DROP TABLE organization`);
  }
}
