import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The checks every statement inserting postings runs, with the wallet balances they keep. */
function postingAfterInsert(checks: string): string {
  return `
    CREATE OR REPLACE FUNCTION posting_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad record;
    BEGIN
      ${checks}
      -- A wallet is owed to the buyer: a credit (negative) raises its balance.
      UPDATE wallet_balance w SET balance = w.balance - d.delta
        FROM (SELECT account_id, sum(amount) AS delta FROM new_postings GROUP BY account_id ORDER BY account_id) d
       WHERE w.account_id = d.account_id;
      RETURN NULL;
    END $$`;
}

const BALANCED = `
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: its % postings sum to %', bad.entry_id, bad.currency, bad.total
          USING ERRCODE = 'check_violation', CONSTRAINT = 'posting_entry_balanced';
      END IF;`;
const SAME_CURRENCY = `
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % posts to an unknown account or in another currency than its account', bad.entry_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'posting_account_currency';
      END IF;`;

/**
 * The checks of a charge's postings look up the entries they belong to by key, whatever the
 * planner guesses. It cannot know how many rows a statement's new postings are, and with the
 * journal small or its statistics behind it hashed the whole of `journal_entry` for every
 * charge: a millisecond per purchase with a thousand entries, growing with the journal. Now each
 * new posting's account and entry are read through their primary keys (a scalar subquery is
 * never turned into a join), and each touched entry's postings through
 * `posting_entry_idx`. The rules are unchanged: an entry's postings sum to zero per currency, and
 * every posting is in its account's and its entry's currency.
 */
export class BalanceChecksByIndex1765000000000 implements MigrationInterface {
  name = 'BalanceChecksByIndex1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      postingAfterInsert(`
      SELECT t.entry_id, s.currency, s.total INTO bad
        FROM (SELECT DISTINCT entry_id FROM new_postings) t
        CROSS JOIN LATERAL (
          SELECT p.currency, sum(p.amount) AS total FROM posting p WHERE p.entry_id = t.entry_id GROUP BY p.currency
        ) s
       WHERE s.total <> 0
       LIMIT 1;${BALANCED}
      SELECT n.entry_id INTO bad FROM new_postings n
       WHERE (SELECT a.currency FROM account a WHERE a.id = n.account_id) IS DISTINCT FROM n.currency
          OR (SELECT e.currency FROM journal_entry e WHERE e.id = n.entry_id) <> n.currency
       LIMIT 1;${SAME_CURRENCY}`),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      postingAfterInsert(`
      SELECT p.entry_id, p.currency, sum(p.amount) AS total INTO bad
        FROM posting p
       WHERE p.entry_id IN (SELECT DISTINCT entry_id FROM new_postings)
       GROUP BY p.entry_id, p.currency
      HAVING sum(p.amount) <> 0
       LIMIT 1;${BALANCED}
      SELECT n.entry_id INTO bad FROM new_postings n
        LEFT JOIN account a ON a.id = n.account_id
        JOIN journal_entry e ON e.id = n.entry_id
       WHERE a.id IS NULL OR a.currency <> n.currency OR e.currency <> n.currency
       LIMIT 1;${SAME_CURRENCY}`),
    );
  }
}
