// The thin baseline's front: plain Fastify doing one NATS request per HTTP request, with a
// timeout, and the reply's data as the body.
import Fastify from 'fastify';
import { connect } from 'nats';

const nc = await connect({ servers: process.env.NATS_URL });
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const app = Fastify({ logger: false });

app.get('/health', async () => ({ status: 'ok' }));
app.get('/v1/datasets/:id', async (request, reply) => {
  const msg = await nc.request(process.env.SUBJECT, encoder.encode(JSON.stringify({ id: request.params.id })), { timeout: 3000 });
  const answer = JSON.parse(decoder.decode(msg.data));
  if (!answer.ok) return reply.status(answer.error.status).send(answer.error);
  return answer.data;
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', async () => {
  await app.close();
  await nc.drain();
  process.exit(0);
});
