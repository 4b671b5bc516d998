import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createHttpAdapter, loadConfig, PlatformConfig } from '@trove/platform';
import { connect, type Socket } from 'node:net';

jest.setTimeout(30_000);

@Controller('v1/transcripts')
class TranscriptsController {
  @Get(':id')
  get(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Put(':id')
  put(@Param('id') id: string, @Body() body: { text?: string }): { id: string; length: number } {
    return { id, length: body.text?.length ?? 0 };
  }
}

/**
 * Fastify as every app runs it (createHttpAdapter), with a short idle timeout: a connection on
 * which nothing moves is closed, one whose bytes keep moving is not; and the errors Fastify
 * answers itself, before any route, are problem+json like every other error.
 */
describe('the HTTP server of every app', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    const config = loadConfig(PlatformConfig, { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused', HTTP_IDLE_TIMEOUT_MS: '1000' }, { PORT: 0 });
    const moduleRef = await Test.createTestingModule({ controllers: [TranscriptsController] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.getHttpServer().address() as { port: number }).port;
  });

  afterAll(() => app?.close());

  /** A raw connection, and a promise of everything the server sent until it closed. */
  function rawConnection(): { socket: Socket; closed: Promise<string> } {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
    socket.on('error', () => undefined);
    return { socket, closed };
  }

  it('answers a URL with broken percent-encoding with problem+json naming the problem', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/transcripts/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', type: 'urn:problem:trove:validation-failed' });
  });

  it('closes a connection whose client stopped sending its body, and answers nothing on it', async () => {
    const { socket, closed } = rawConnection();
    socket.write('PUT /v1/transcripts/utt_000001 HTTP/1.1\r\nHost: trove\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"text":"今天天气');
    // Nothing more is sent: the server must let go of the connection by itself.
    expect(await closed).not.toContain('200 OK');
  });

  it('keeps a slow request whose bytes keep moving, past the idle timeout in all', async () => {
    const { socket, closed } = rawConnection();
    const body = Buffer.from(JSON.stringify({ text: '普通话朗读语音：今天天气很好，我们去公园散步吧。' }), 'utf8');
    socket.write(`PUT /v1/transcripts/utt_000002 HTTP/1.1\r\nHost: trove\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    // One piece every 400 ms: about 2.5 s in all, against an idle timeout of 1 s.
    const pieces = 6;
    for (let i = 0; i < pieces; i++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      socket.write(body.subarray(Math.floor((i * body.length) / pieces), Math.floor(((i + 1) * body.length) / pieces)));
    }
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toContain('"id":"utt_000002"');
  });
});
