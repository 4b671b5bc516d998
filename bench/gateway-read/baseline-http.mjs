// The thin baseline's front: plain Fastify doing one NATS request per HTTP request, with a
// timeout, and the reply's data as the body. A failed request answers 503, so it shows up in
// the non-2xx count instead of as a crash.
import Fastify from 'fastify';
import { connect } from 'nats';

// noAsyncTraces as in Trove's own connection (libs/messaging): otherwise nats captures up to
// three stack traces per request, which cost this process about a sixth of its CPU.
const nc = await connect({ servers: process.env.NATS_URL, noAsyncTraces: true });
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const app = Fastify({ logger: false });

app.get('/health', async () => ({ status: 'ok' }));
app.get('/v1/datasets/:id', async (request, reply) => {
  let msg;
  try {
    msg = await nc.request(process.env.SUBJECT, encoder.encode(JSON.stringify({ id: request.params.id })), { timeout: 3000 });
  } catch (error) {
    return reply.status(503).send({ code: 'SERVICE_UNAVAILABLE', message: String(error?.message ?? error) });
  }
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
