import type { DestinationStream } from 'pino';
import { PlatformConfig } from './config';
import { createRootLogger, logsArePretty } from './logging';

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
