import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { PlatformConfig } from './config';
import { createRootLogger, logRequest, logsArePretty } from './logging';

const identity = { service: 'catalog' as const, version: '0.1.0', instance: 'host-a:4242', startedAt: new Date() };

function capture(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) };
}

function config(format?: 'pretty' | 'json'): PlatformConfig {
  return Object.assign(new PlatformConfig(), { LOG_LEVEL: 'info', TROVE_LOG_FORMAT: format });
}

describe('log format', () => {
  it('is readable on a terminal and JSON when piped, unless TROVE_LOG_FORMAT says otherwise', () => {
    expect(logsArePretty(config(), { isTTY: true })).toBe(true);
    expect(logsArePretty(config(), { isTTY: false })).toBe(false);
    expect(logsArePretty(config(), {})).toBe(false);
    expect(logsArePretty(config('json'), { isTTY: true })).toBe(false);
    expect(logsArePretty(config('pretty'), { isTTY: false })).toBe(true);
  });

  it('writes one JSON object per line for collectors, with the service', () => {
    const out = capture();
    createRootLogger(config('json'), identity, out).info({ datasetId: 'ds-7f3a' }, '数据集已发布 / dataset published');
    expect(JSON.parse(out.lines[0])).toMatchObject({ level: 'info', service: 'catalog', msg: '数据集已发布 / dataset published', datasetId: 'ds-7f3a' });
  });

  it('writes a readable line for a person: time, level, message, fields', () => {
    const out = capture();
    createRootLogger(config('pretty'), identity, out).warn({ datasetId: 'ds-7f3a' }, '数据集已发布 / dataset published');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: 数据集已发布 \/ dataset published/);
    expect(out.lines[0]).toContain('"datasetId":"ds-7f3a"');
    expect(out.lines[0]).not.toContain('host-a:4242');
  });
});

describe('the access line', () => {
  const request = (url: string) => ({ method: 'PUT', url, id: 'po-2026-11-CMB-0042' }) as unknown as FastifyRequest;
  const reply = (statusCode: number) => ({ statusCode, elapsedTime: 12.4 }) as unknown as FastifyReply;

  it('names the method, URL and status, and keeps the signature of a signed URL out of the log', () => {
    const out = capture();
    const root = createRootLogger(config('json'), identity, out);
    const signed =
      '/files/uploads/datasets/34fdc09c-48bb-4168-8b6c-585b7e970c48/versions/814c59ca-4cc2-4878-8259-fa738fce46bd/audio/zh-CN/utt_000001.wav' +
      '?org=c130b609-8c5e-4314-a9fe-abe803d97721&role=vendor&key=cb5e27ca-d38f-4a7b-8519-c407c36a72a7&expires=1796094271&kid=k1&sig=eXt_AvdFOlxpjChYpSoZlsdh1JG11Q3vJ07IWmVaH68';
    logRequest(root, request(signed), reply(201));
    logRequest(root, request('/files/entitlements/e/versions/v/README.md?Sig=abc&x=1&signature=def'), reply(403));
    const [upload, refused] = out.lines.map((line) => JSON.parse(line));
    expect(upload).toMatchObject({ level: 'info', correlationId: 'po-2026-11-CMB-0042', req: { method: 'PUT' }, res: { statusCode: 201 }, msg: 'request completed' });
    expect(upload.req.url).toBe(signed.replace(/sig=.*$/, 'sig=[redacted]'));
    expect(refused.req.url).toBe('/files/entitlements/e/versions/v/README.md?Sig=[redacted]&x=1&signature=[redacted]');
    expect(out.lines.join('\n')).not.toMatch(/eXt_Avd|abc|def/);
  });
});
