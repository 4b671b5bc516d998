import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credit notes (红字发票): the document that cancels an invoice when its charge is refunded. The
 * invoice stays as it was; the credit note carries the same lines and amounts with the sign
 * turned, in a series of its own (`CN-<year>-<six digits>`, gapless per year, numbered like the
 * invoices off the refund's transaction).
 *
 * The database keeps the rules:
 * - one credit note per invoice and per reversing entry (unique keys);
 * - net + tax = gross, every amount zero or below, the gross below zero;
 * - a trigger checks that the credit note is the exact mirror of its invoice (same order, buyer,
 *   currency and rate, every total turned around) and that its entry is the refund that
 *   reverses the invoice's entry.
 *
 * Refunds made before this migration get their credit notes here, issued at the refund's time
 * (to the millisecond, as every time the API shows and pages by).
 */
export class CreateCreditNotes1764810000000 implements MigrationInterface {
  name = 'CreateCreditNotes1764810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE credit_note (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL CONSTRAINT credit_note_seq_key UNIQUE,
        entry_id uuid NOT NULL CONSTRAINT credit_note_entry_fk REFERENCES journal_entry (id) CONSTRAINT credit_note_entry_key UNIQUE,
        invoice_id uuid NOT NULL CONSTRAINT credit_note_invoice_fk REFERENCES invoice (id) CONSTRAINT credit_note_invoice_key UNIQUE,
        order_id uuid NOT NULL,
        buyer_organization_id uuid NOT NULL,
        currency char(3) NOT NULL,
        net bigint NOT NULL,
        tax bigint NOT NULL,
        gross bigint NOT NULL,
        tax_rate_bp integer NOT NULL,
        lines jsonb NOT NULL,
        issued_at timestamptz NOT NULL,
        year integer NOT NULL,
        number integer NULL,
        CONSTRAINT credit_note_sum_check CHECK (net + tax = gross AND gross < 0 AND tax <= 0 AND net <= 0),
        CONSTRAINT credit_note_number_key UNIQUE (year, number)
      )`);
    await queryRunner.query(`CREATE INDEX credit_note_buyer_idx ON credit_note (buyer_organization_id, issued_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX credit_note_order_idx ON credit_note (order_id)`);
    await queryRunner.query(`CREATE INDEX credit_note_unnumbered_idx ON credit_note (seq) WHERE number IS NULL`);
    await queryRunner.query(`
      CREATE TABLE credit_note_counter (
        year integer PRIMARY KEY,
        last integer NOT NULL CONSTRAINT credit_note_counter_last_check CHECK (last >= 0)
      )`);
    await queryRunner.query(`
      CREATE FUNCTION credit_note_mirrors_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        inv invoice%ROWTYPE;
      BEGIN
        SELECT * INTO inv FROM invoice WHERE id = NEW.invoice_id;
        IF NOT FOUND
           OR inv.order_id <> NEW.order_id OR inv.buyer_organization_id <> NEW.buyer_organization_id
           OR inv.currency <> NEW.currency OR inv.tax_rate_bp <> NEW.tax_rate_bp
           OR inv.net <> -NEW.net OR inv.tax <> -NEW.tax OR inv.gross <> -NEW.gross
           OR jsonb_array_length(inv.lines) <> jsonb_array_length(NEW.lines) THEN
          RAISE EXCEPTION 'credit note % does not mirror invoice %', NEW.id, NEW.invoice_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'credit_note_mirrors_invoice';
        END IF;
        PERFORM 1 FROM journal_entry r WHERE r.id = NEW.entry_id AND r.kind = 'refund' AND r.reverses_entry_id = inv.entry_id;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'credit note % is not issued with the refund that reverses the entry of invoice %', NEW.id, NEW.invoice_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'credit_note_reverses_invoice_entry';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER credit_note_mirrors_invoice BEFORE INSERT ON credit_note FOR EACH ROW EXECUTE FUNCTION credit_note_mirrors_invoice()`);

    // Every refund already made gets its credit note: the invoice's lines with each amount turned around.
    await queryRunner.query(`
      INSERT INTO credit_note (id, entry_id, invoice_id, order_id, buyer_organization_id, currency, net, tax, gross, tax_rate_bp, lines, issued_at, year)
      SELECT gen_random_uuid(), r.id, i.id, i.order_id, i.buyer_organization_id, i.currency, -i.net, -i.tax, -i.gross, i.tax_rate_bp,
             (SELECT coalesce(jsonb_agg(l
                        || jsonb_build_object('net', jsonb_build_object('amount', -(l->'net'->>'amount')::bigint, 'currency', l->'net'->'currency'))
                        || jsonb_build_object('tax', jsonb_build_object('amount', -(l->'tax'->>'amount')::bigint, 'currency', l->'tax'->'currency'))
                        || jsonb_build_object('gross', jsonb_build_object('amount', -(l->'gross'->>'amount')::bigint, 'currency', l->'gross'->'currency'))
                        ORDER BY n), '[]'::jsonb)
                FROM jsonb_array_elements(i.lines) WITH ORDINALITY AS x(l, n)),
             date_trunc('milliseconds', r.created_at), extract(year FROM r.created_at AT TIME ZONE 'Asia/Shanghai')
        FROM invoice i JOIN journal_entry r ON r.kind = 'refund' AND r.reverses_entry_id = i.entry_id
       ORDER BY r.created_at, r.id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE credit_note_counter`);
    await queryRunner.query(`DROP TABLE credit_note`);
    await queryRunner.query(`DROP FUNCTION credit_note_mirrors_invoice()`);
  }
}
