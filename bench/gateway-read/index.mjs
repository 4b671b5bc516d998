// gateway-read: GET /v1/datasets/:id through the gateway (Fastify + Nest) -> one NATS request
// -> the catalog service -> one PostgreSQL read, against a thin baseline of the same path
// without Nest (plain Fastify -> nats -> plain responder -> pg), on the same data, in the
// same run.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { compare } from '../lib/load.mjs';
import { BenchProcess, freePort } from '../lib/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const TITLES = [
  '普通话手机采集语音数据 1,000 小时 / Mandarin smartphone speech, 1,000 hours',
  '粤语车载语音 500 小时 / Cantonese in-car speech, 500 hours',
  '中文 OCR 文档图像 20 万张 / Chinese OCR document images, 200k',
  '多轮中文客服对话 SFT 10 万条 / Chinese customer-service dialogues for SFT, 100k',
  '中英偏好对 3 万对 / Chinese-English preference pairs, 30k',
  '自动驾驶路测视频 2D 框标注 / Driving video with 2D boxes',
  '四川话自然对话 120 小时 / Sichuanese spontaneous speech, 120 hours',
  '医疗影像分割标注 5 万张 / Medical image segmentation, 50k',
];

// The apps run with no access log line per request and the per-address rate limit out of the
// way (64 connections from one address would otherwise be 429s).
const SETTINGS = { LOG_LEVEL: 'warn', RATE_LIMIT_PER_ADDRESS: '100000' };

export default {
  name: 'gateway-read',
  title: 'Gateway read: HTTP -> NATS request -> service -> one PostgreSQL read',
  target: 'Trove at least 50 % of the thin baseline',
  async run(ctx) {
    const catalogDb = await ctx.appDatabase('catalog');
    const gatewayDb = await ctx.appDatabase('gateway');
    const ids = TITLES.map(() => randomUUID());
    const client = new pg.Client({ connectionString: catalogDb });
    await client.connect();
    for (const [i, id] of ids.entries()) {
      await client.query(`INSERT INTO dataset (id, vendor_organization_id, title, status) VALUES ($1, $2, $3, 'published')`, [id, randomUUID(), TITLES[i]]);
    }
    await client.end();
    const requests = ids.map((id) => ({ method: 'GET', path: `/v1/datasets/${id}` }));

    const processes = [];
    const started = (p) => (processes.push(p), p.start());
    try {
      const baselineSubject = `${ctx.namespace}.baseline.dataset.get`;
      const baselinePort = await freePort();
      const responder = started(new BenchProcess('baseline-responder', path.join(here, 'baseline-responder.mjs'), { DATABASE_URL: catalogDb, NATS_URL: ctx.natsUrl, SUBJECT: baselineSubject }));
      const front = started(new BenchProcess('baseline-http', path.join(here, 'baseline-http.mjs'), { NATS_URL: ctx.natsUrl, SUBJECT: baselineSubject, PORT: String(baselinePort) }));
      await responder.printed('responder ready');
      await front.ready(`http://127.0.0.1:${baselinePort}/health`);

      const catalogPort = await freePort();
      const gatewayPort = await freePort();
      const common = { NATS_URL: ctx.natsUrl, TROVE_NAMESPACE: ctx.namespace, ...SETTINGS };
      const catalog = started(new BenchProcess('catalog', ctx.appMain('catalog'), { ...common, DATABASE_URL: catalogDb, PORT: String(catalogPort) }));
      const gateway = started(new BenchProcess('gateway', ctx.appMain('gateway'), { ...common, DATABASE_URL: gatewayDb, PORT: String(gatewayPort), TROVE_ADMIN_KEY: ctx.adminKey }));
      await catalog.ready(`http://127.0.0.1:${catalogPort}/health/ready`);
      await gateway.ready(`http://127.0.0.1:${gatewayPort}/health/ready`);

      // Both sides must answer 200 with the right dataset for every id before anything is
      // measured: a fast 404 or 503 would make a fine-looking figure.
      for (const [url, name] of [[`http://127.0.0.1:${baselinePort}`, 'baseline'], [`http://127.0.0.1:${gatewayPort}`, 'trove']]) {
        for (const [i, request] of requests.entries()) {
          const answer = await fetch(`${url}${request.path}`);
          const body = await answer.json().catch(() => null);
          if (answer.status !== 200 || body?.id !== ids[i] || body?.title !== TITLES[i] || body?.status !== 'published') {
            throw new Error(`${name} answered ${answer.status} for ${request.path}: ${JSON.stringify(body)}`);
          }
        }
      }
      ctx.log(`  both sides answer 200 for all ${ids.length} datasets`);

      const result = await compare(ctx, {
        load: { requests },
        baseline: { label: 'Fastify -> nats -> responder -> pg (no Nest)', target: { url: `http://127.0.0.1:${baselinePort}`, processes: [front, responder] } },
        trove: { label: 'gateway -> NATS -> catalog -> pg', target: { url: `http://127.0.0.1:${gatewayPort}`, processes: [gateway, catalog] } },
        targetRatio: 0.5,
      });
      return {
        ...result,
        settings: {
          apps: `gateway and catalog from dist/, ${Object.entries(SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')}, NATS namespace ${ctx.namespace}`,
          data: `${ids.length} published datasets in a fresh catalog database, requested round-robin (GET /v1/datasets/:id, no API key: published datasets are public)`,
        },
      };
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  },
};
