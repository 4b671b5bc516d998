// The thin baseline's service: a plain nats responder in a queue group doing the same one
// PostgreSQL read as the catalog (its very SQL, taken from the compiled catalog), with no Nest,
// no validation, no visibility rules, no metrics, no logging.
import { createRequire } from 'node:module';
import { connect } from 'nats';
import pg from 'pg';

const require = createRequire(import.meta.url);
const { DATASET_DETAIL_SQL } = require('../../dist/apps/catalog/src/datasets/dataset.repository.js');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const nc = await connect({ servers: process.env.NATS_URL, noAsyncTraces: true }); // as Trove's connection
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function answer(data) {
  try {
    const { id } = JSON.parse(decoder.decode(data));
    const { rows } = await pool.query(DATASET_DETAIL_SQL, [id]);
    const row = rows[0];
    return row
      ? {
          ok: true,
          data: {
            id: row.id,
            vendorOrganizationId: row.vendor_organization_id,
            title: row.title,
            status: row.status,
            metadata: row.metadata,
            versions: row.versions,
            offers: row.offers,
            samples: row.samples,
            createdAt: row.created_at,
            updatedAt: row.updated_at,
          },
        }
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
