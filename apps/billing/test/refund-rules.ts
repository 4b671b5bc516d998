import type { Client } from 'pg';

/** A credit note's lines as they must be: its invoice's lines, every amount turned around. */
const TURNED_LINES = `(SELECT coalesce(jsonb_agg(l
      || jsonb_build_object('net', jsonb_build_object('amount', -(l->'net'->>'amount')::bigint, 'currency', l->'net'->'currency'))
      || jsonb_build_object('tax', jsonb_build_object('amount', -(l->'tax'->>'amount')::bigint, 'currency', l->'tax'->'currency'))
      || jsonb_build_object('gross', jsonb_build_object('amount', -(l->'gross'->>'amount')::bigint, 'currency', l->'gross'->'currency'))
      ORDER BY n), '[]'::jsonb) FROM jsonb_array_elements(i.lines) WITH ORDINALITY AS x(l, n))`;

/**
 * Every broken rule of refunds and credit notes, in words: empty when all hold. (The harness's
 * `violations()` checks the ledger itself; these are the refund policy and its documents.)
 */
export async function refundViolations(sql: Client): Promise<string[]> {
  const found: string[] = [];
  const q = async (label: string, text: string) => {
    const rows = (await sql.query(text)).rows as Record<string, unknown>[];
    for (const row of rows) found.push(`${label}: ${JSON.stringify(row)}`);
  };
  await q(
    'refunded order keeps a charge it did not give back',
    `SELECT p.order_id, e.kind, e.id FROM payment p JOIN journal_entry e ON e.order_id = p.order_id AND e.kind <> 'refund'
      WHERE p.status = 'refunded' AND NOT EXISTS (SELECT 1 FROM journal_entry r WHERE r.reverses_entry_id = e.id)`,
  );
  await q(
    'reversed charge without its credit note',
    `SELECT r.id AS refund, i.id AS invoice FROM journal_entry r JOIN invoice i ON i.entry_id = r.reverses_entry_id
      WHERE r.kind = 'refund' AND NOT EXISTS (SELECT 1 FROM credit_note c WHERE c.entry_id = r.id AND c.invoice_id = i.id)`,
  );
  await q(
    'credit note does not mirror its invoice',
    `SELECT c.id FROM credit_note c JOIN invoice i ON i.id = c.invoice_id JOIN journal_entry r ON r.id = c.entry_id
      WHERE c.net <> -i.net OR c.tax <> -i.tax OR c.gross <> -i.gross OR c.order_id <> i.order_id OR c.buyer_organization_id <> i.buyer_organization_id
         OR c.currency <> i.currency OR c.lines <> ${TURNED_LINES} OR r.reverses_entry_id <> i.entry_id OR r.amount <> i.gross`,
  );
  await q('credit note net + tax is not gross, or not below zero', `SELECT id FROM credit_note WHERE net + tax <> gross OR gross >= 0`);
  await q('refunded order with a subscription still renewing', `SELECT s.id FROM subscription s JOIN payment p ON p.order_id = s.order_id WHERE p.status = 'refunded' AND s.status = 'active'`);
  for (const table of ['invoice', 'credit_note']) {
    await q(`${table} numbers with a gap`, `SELECT year, count(*) AS n, max(number) AS last FROM ${table} WHERE number IS NOT NULL GROUP BY year HAVING max(number) <> count(*)`);
  }
  return found;
}
