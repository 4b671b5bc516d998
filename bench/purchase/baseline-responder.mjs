// The thin baseline's service for a purchase: a plain nats responder in a queue group doing
// one PostgreSQL insert per order, with no Nest, no validation, no outbox, no saga.
import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
await pool.query(`CREATE TABLE IF NOT EXISTS baseline_order (id uuid PRIMARY KEY, offer_id uuid NOT NULL, status text NOT NULL, placed_at timestamptz NOT NULL DEFAULT now())`);
const nc = await connect({ servers: process.env.NATS_URL, noAsyncTraces: true });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function answer(data) {
  try {
    const { items } = JSON.parse(decoder.decode(data));
    const id = randomUUID();
    await pool.query(`INSERT INTO baseline_order (id, offer_id, status) VALUES ($1, $2, 'pending_payment')`, [id, items[0].offerId]);
    return { ok: true, data: { id, status: 'pending_payment' } };
  } catch (error) {
    return { ok: false, error: { code: 'INTERNAL', status: 500, message: String(error?.message ?? error) } };
  }
}

nc.subscribe(process.env.SUBJECT, {
  queue: 'baseline',
  callback: async (_error, msg) => {
    msg.respond(encoder.encode(JSON.stringify(await answer(msg.data))));
  },
});
await nc.flush();
process.stdout.write('responder ready\n');
process.on('SIGTERM', async () => {
  await nc.drain();
  await pool.end();
  process.exit(0);
});
