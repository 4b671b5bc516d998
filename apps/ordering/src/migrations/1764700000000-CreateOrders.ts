import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Orders and their lines, license receipts (immutable), access requests. */
export class CreateOrders1764700000000 implements MigrationInterface {
  name = 'CreateOrders1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE purchase_order (
        id uuid PRIMARY KEY,
        buyer_organization_id uuid NOT NULL,
        status text NOT NULL CONSTRAINT purchase_order_status_check
          CHECK (status IN ('pending_payment', 'paid', 'fulfilled', 'cancelled', 'refund_pending', 'refunded')),
        total_amount bigint NOT NULL CONSTRAINT purchase_order_total_check CHECK (total_amount > 0),
        currency text NOT NULL CONSTRAINT purchase_order_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
        cancellation_reason text NULL,
        refund_reason text NULL,
        payment_id uuid NULL,
        entitlement_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
        awaiting_event_id uuid NULL,
        redrives integer NOT NULL DEFAULT 0,
        placed_at timestamptz NOT NULL,
        paid_at timestamptz NULL,
        fulfilled_at timestamptz NULL,
        closed_at timestamptz NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX purchase_order_buyer_idx ON purchase_order (buyer_organization_id, placed_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX purchase_order_status_idx ON purchase_order (status, placed_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE INDEX purchase_order_in_flight_idx ON purchase_order (updated_at)
        WHERE status IN ('pending_payment', 'paid', 'refund_pending')`);
    await queryRunner.query(`
      CREATE TABLE order_line (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL CONSTRAINT order_line_order_fk REFERENCES purchase_order (id),
        position integer NOT NULL,
        offer_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        dataset_title text NOT NULL,
        vendor_organization_id uuid NOT NULL,
        price_amount bigint NOT NULL CONSTRAINT order_line_price_check CHECK (price_amount > 0),
        currency text NOT NULL,
        pricing jsonb NOT NULL,
        license_template text NOT NULL,
        terms jsonb NOT NULL,
        terms_sha256 text NOT NULL CONSTRAINT order_line_terms_sha256_check CHECK (terms_sha256 ~ '^[0-9a-f]{64}$'),
        exclusive boolean NOT NULL,
        covers_future_versions boolean NOT NULL,
        version_ids jsonb NOT NULL,
        placed_at timestamptz NOT NULL,
        CONSTRAINT order_line_position_key UNIQUE (order_id, position)
      )`);
    await queryRunner.query(`CREATE INDEX order_line_vendor_idx ON order_line (vendor_organization_id, placed_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE license_receipt (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL CONSTRAINT license_receipt_order_key UNIQUE CONSTRAINT license_receipt_order_fk REFERENCES purchase_order (id),
        accepted_by_organization_id uuid NOT NULL,
        accepted_by_key_id text NOT NULL,
        accepted_at timestamptz NOT NULL,
        lines jsonb NOT NULL,
        sha256 text NOT NULL CONSTRAINT license_receipt_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$')
      )`);
    // A receipt is what the buyer agreed to: the database refuses to change or delete one.
    await queryRunner.query(`
      CREATE FUNCTION license_receipt_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'license receipts are immutable' USING ERRCODE = 'restrict_violation';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER license_receipt_immutable BEFORE UPDATE OR DELETE ON license_receipt
        FOR EACH ROW EXECUTE FUNCTION license_receipt_immutable()`);
    await queryRunner.query(`
      CREATE TABLE access_request (
        id uuid PRIMARY KEY,
        offer_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        vendor_organization_id uuid NOT NULL,
        buyer_organization_id uuid NOT NULL,
        intended_use text NOT NULL,
        status text NOT NULL CONSTRAINT access_request_status_check CHECK (status IN ('pending', 'approved', 'rejected')),
        created_at timestamptz NOT NULL,
        decided_at timestamptz NULL
      )`);
    // One open or granted request per buyer and offer; a rejected buyer may ask again.
    await queryRunner.query(`
      CREATE UNIQUE INDEX access_request_live_key ON access_request (offer_id, buyer_organization_id)
        WHERE status IN ('pending', 'approved')`);
    await queryRunner.query(`CREATE INDEX access_request_vendor_idx ON access_request (vendor_organization_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX access_request_buyer_idx ON access_request (buyer_organization_id, created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE access_request`);
    await queryRunner.query(`DROP TABLE license_receipt`);
    await queryRunner.query(`DROP FUNCTION license_receipt_immutable`);
    await queryRunner.query(`DROP TABLE order_line`);
    await queryRunner.query(`DROP TABLE purchase_order`);
  }
}
