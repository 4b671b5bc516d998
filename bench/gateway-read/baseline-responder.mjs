// The thin baseline's service: a plain nats responder in a queue group doing the same one
// PostgreSQL read as the catalog, with no Nest, no validation, no metrics, no logging.
import { connect } from 'nats';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const nc = await connect({ servers: process.env.NATS_URL, noAsyncTraces: true }); // as Trove's connection
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function answer(data) {
  try {
    const { id } = JSON.parse(decoder.decode(data));
    const { rows } = await pool.query('SELECT id, vendor_organization_id, title, status, created_at, updated_at FROM dataset WHERE id = $1', [id]);
    const row = rows[0];
    return row
      ? { ok: true, data: { id: row.id, vendorOrganizationId: row.vendor_organization_id, title: row.title, status: row.status, createdAt: row.created_at, updatedAt: row.updated_at } }
      : { ok: false, error: { code: 'NOT_FOUND', status: 404, message: 'not found' } };
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
