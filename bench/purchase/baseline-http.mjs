// The thin baseline's front for a purchase: plain Fastify doing one NATS request per
// POST /v1/orders, with a timeout, and the reply's data as a 201 body.
import Fastify from 'fastify';
import { connect } from 'nats';

const nc = await connect({ servers: process.env.NATS_URL, noAsyncTraces: true });
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const app = Fastify({ logger: false });

app.get('/health', async () => ({ status: 'ok' }));
app.post('/v1/orders', async (request, reply) => {
  let msg;
  try {
    msg = await nc.request(process.env.SUBJECT, encoder.encode(JSON.stringify(request.body)), { timeout: 3000 });
  } catch (error) {
    return reply.status(503).send({ code: 'SERVICE_UNAVAILABLE', message: String(error?.message ?? error) });
  }
  const answer = JSON.parse(decoder.decode(msg.data));
  if (!answer.ok) return reply.status(answer.error.status).send(answer.error);
  return reply.status(201).send(answer.data);
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', async () => {
  await app.close();
  await nc.drain();
  process.exit(0);
});
