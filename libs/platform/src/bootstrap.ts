import 'reflect-metadata';
import { Logger as NestLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { connect } from 'nats';
import { Client } from 'pg';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { ConfigError, loadConfig, PlatformConfig, type ConfigClass } from './config';
import { acceptCorrelationId, RequestContext } from './context';
import { Readiness } from './health';
import { logRequest, ROOT_LOGGER } from './logging';
import { MetricsService } from './metrics';
import { natsAuth, natsConnectOptions, redactNatsUrl } from './nats-connection';
import { allowedMethods, brokenQuery, clientErrorResponse, COMMON_HEADERS } from './http-errors';
import { PROBLEM_CONTENT_TYPE, ServiceException, toProblem } from './problem';
import { trustedProxies } from './trust-proxy';
import { CommonErrorCode, DEFAULT_PORTS, type ServiceName } from '@trove/contracts';
import { httpValidationPipe } from './validation';

export interface BootstrapOptions<C extends PlatformConfig = PlatformConfig> {
  service: ServiceName;
  config?: ConfigClass<C>;
  /** Extra set-up of the HTTP app (OpenAPI, prefixes) before it listens. */
  configure?: (app: NestFastifyApplication, config: C) => void | Promise<void>;
}

/**
 * Starts an app: settings checked, the database and NATS proven reachable, then Nest on
 * Fastify with correlation ids, metrics, problem+json and a SIGTERM that finishes in-flight
 * work and exits 0. Any failure before listening is one line on stderr and exit code 1.
 */
export async function bootstrap<C extends PlatformConfig>(appModule: unknown, options: BootstrapOptions<C>): Promise<INestApplication> {
  const fail = (message: string): never => {
    process.stderr.write(`trove-${options.service}: ${message}\n`);
    process.exit(1);
  };

  let config: C;
  try {
    config = loadConfig((options.config ?? PlatformConfig) as ConfigClass<C>, process.env, { PORT: DEFAULT_PORTS[options.service] } as Partial<Record<keyof C, unknown>>);
    // NATS credentials are settings too: checked together (and their files read) before anything connects
    natsAuth(config);
  } catch (error) {
    if (error instanceof ConfigError) return fail(`configuration error: ${error.message}`);
    throw error;
  }
  const unreachable = (await probeDatabase(config)) ?? (await probeNats(config));
  if (unreachable) return fail(unreachable);

  const app = await createApp(appModule, options, config);
  installShutdown(app, options.service, config);
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    return fail(`PORT: cannot listen on ${config.HOST}:${config.PORT} (${(error as Error).message})`);
  }
  new NestLogger('Bootstrap').log(`trove-${options.service} listening on http://${config.HOST}:${config.PORT}`);
  return app;
}

/** Fastify as every app runs it: body limit, idle timeout, correlation ids, 503 while closing, problem+json for its own errors. */
export function createHttpAdapter(config: PlatformConfig): FastifyAdapter {
  // X-Forwarded-For is believed only from the proxies named in TRUST_PROXY, none by default.
  const proxies = trustedProxies(config.TRUST_PROXY);
  return new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: proxies.length > 0 ? proxies : false,
    // Fastify's own 503 while closing is JSON of its own without Retry-After or the correlation
    // id: the platform's onRequest hook answers those requests (instrumentHttp).
    return503OnClosing: false,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, unknown> }) => acceptCorrelationId(req.headers['x-correlation-id']),
    connectionTimeout: config.HTTP_IDLE_TIMEOUT_MS,
    // Errors Fastify answers before any route runs (a URL whose percent-encoding is broken):
    // the same problem+json as every other error, not Fastify's own JSON.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const problem = toProblem(error, String(request.id ?? ''));
      // No hook runs for these, so the correlation id header is set here.
      void reply.status(problem.status).headers(COMMON_HEADERS).header('x-correlation-id', problem.correlationId).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
    },
    // And those Node's parser refuses before Fastify sees a request (headers past 16 KiB, a
    // request that is not HTTP): problem+json too, where Fastify wrote a JSON of its own.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: import('node:net').Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(error));
      socket.destroy(error);
    },
  });
}

/**
 * Everything an app needs on top of Nest before it serves: pino, validation, correlation
 * context, metrics, and the app's own set-up. Tests call it on a TestingModule's app too.
 */
export async function configureApp<C extends PlatformConfig>(app: NestFastifyApplication, options: BootstrapOptions<C>, config: C): Promise<void> {
  app.useLogger(app.get(NestPinoLogger));
  app.useGlobalPipes(httpValidationPipe());
  instrumentHttp(app, app.get(MetricsService), app.get(Readiness), app.get<Logger>(ROOT_LOGGER));
  await options.configure?.(app, config);
}

async function createApp<C extends PlatformConfig>(appModule: unknown, options: BootstrapOptions<C>, config: C): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(appModule as never, createHttpAdapter(config), { bufferLogs: true });
  await configureApp(app, options, config);
  return app;
}

function instrumentHttp(app: NestFastifyApplication, metrics: MetricsService, readiness: Readiness, root: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Set when the server begins to close (after the app's own shutdown hooks, before the server
  // stops listening): a request arriving then, on a connection that was already open, is
  // answered 503 so that its client retries on another replica.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(COMMON_HEADERS).header('x-correlation-id', request.id);
    if (closing) {
      const problem = toProblem(new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, 'This server is shutting down: send the request again, another replica will answer it.'), String(request.id));
      // Connection: close, so the connection ends with this answer: one that only became idle
      // after the server began closing was otherwise left open until SHUTDOWN_TIMEOUT_MS.
      void reply.status(503).header('retry-after', '1').header('connection', 'close').header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
      return;
    }
    const query = brokenQuery(request.url);
    if (query) {
      const problem = toProblem(new ServiceException(CommonErrorCode.VALIDATION_FAILED, query), String(request.id));
      void reply.status(400).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
      return;
    }
    // A path that has routes, asked with a method it has none for: 405 and what it allows.
    if (request.is404) {
      const allowed = allowedMethods(fastify, request.url);
      if (allowed.length > 0 && !allowed.includes(request.method)) {
        const refused = new ServiceException(CommonErrorCode.METHOD_NOT_ALLOWED, `${request.method} is not allowed here; ${allowed.join(', ')} ${allowed.length > 1 ? 'are' : 'is'}.`);
        const problem = toProblem(refused, String(request.id));
        void reply.status(405).header('allow', allowed.join(', ')).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
        return;
      }
    }
    done();
  });
  // After the body is parsed and right before the handler, so the context survives into
  // guards, pipes, handlers and every RPC they make.
  fastify.addHook('preHandler', (request, _reply, done) => {
    RequestContext.run({ correlationId: request.id }, done);
  });
  // During shutdown every answer closes its connection, so keep-alive clients move to another
  // replica and the server can finish closing as soon as the last request is answered.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (readiness.shuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    logRequest(root, request, reply);
    done();
  });
}

function installShutdown(app: NestFastifyApplication, service: string, config: PlatformConfig): void {
  let closing = false;
  // Where the shutdown stands, so that one that overruns says what it was waiting for.
  let stage = "the app's hooks before the HTTP server closes (consumers, RPC handlers, outbox)";
  const fastify = app.getHttpAdapter().getInstance();
  const server = app.getHttpServer() as import('node:http').Server;
  // Every open connection and when it came, so that a shutdown that overruns names them.
  const connections = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, Date.now());
    socket.once('close', () => connections.delete(socket));
  });
  // When the server stopped listening: from then on Node no longer times the requests still
  // arriving, and the shutdown does (sweepConnections).
  let listenerClosedAt: number | undefined;
  fastify.addHook('preClose', (done) => {
    stage = 'the HTTP server closing: its open connections to end';
    listenerClosedAt = Date.now();
    done();
  });
  fastify.addHook('onClose', (_instance, done) => ((stage = "the app's shutdown hooks (NATS drain, database pool, timers)"), done()));
  const shutdown = (signal: 'SIGTERM' | 'SIGINT') => {
    if (closing) return;
    closing = true;
    // Stopped on purpose but not cleanly: 128 + the signal's number, as a shell reports a process
    // the signal ended, so a supervisor (npm start, Kubernetes) tells it from a crash (1).
    const cutShort = 128 + osConstants.signals[signal];
    const logger = new NestLogger('Shutdown');
    logger.log(`${signal}: finishing in-flight work, then exiting`);
    app.get(Readiness).beginShutdown();
    setInterval(() => sweepConnections(server, connections, listenerClosedAt), 200).unref();
    const deadline = setTimeout(() => {
      process.stderr.write(
        `trove-${service}: shutdown took longer than SHUTDOWN_TIMEOUT_MS=${config.SHUTDOWN_TIMEOUT_MS}, waiting on ${stage}; ` +
          `${describeConnections(connections)}; resources: ${summarizeResources(process.getActiveResourcesInfo())}; exiting with ${cutShort}\n`,
      );
      process.exit(cutShort);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`trove-${service}: shutdown failed: ${(error as Error).message}; exiting with ${cutShort}\n`);
        process.exit(cutShort);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * What a connection is doing, by Node's own marks: an answer is under way once its headers are
 * sent; before that, a request whose body has not all come (or with no response object yet,
 * its headers) is still arriving; otherwise a handler is at work on a whole request.
 */
function connectionState(socket: Socket): 'arriving' | 'handling' | 'answering' {
  const response = (socket as Socket & { _httpMessage?: import('node:http').ServerResponse | null })._httpMessage;
  if (!response) return 'arriving';
  if (response.headersSent) return 'answering';
  return response.req?.complete === false ? 'arriving' : 'handling';
}

/**
 * What keeps a closing HTTP server from ending, cleared every 200 ms. A connection that went idle
 * since closing began (a response that was already streaming) is closed at once rather than at
 * the end of its keep-alive. One whose request is still arriving gets the server's request
 * timeout counted from when the server stopped listening, then the 408 Node would have sent:
 * Node stops timing requests once its server closes, and a client that sent half its headers
 * or body before a deploy would otherwise hold the exit until SHUTDOWN_TIMEOUT_MS and end it
 * with code 1. A whole request being handled, or an answer being written (a download), is
 * waited for.
 */
function sweepConnections(server: import('node:http').Server, connections: Map<Socket, number>, listenerClosedAt: number | undefined): void {
  server.closeIdleConnections();
  const limit = server.requestTimeout || server.headersTimeout;
  if (listenerClosedAt === undefined || !limit || Date.now() - listenerClosedAt < limit) return;
  for (const socket of connections.keys()) {
    if (socket.destroyed || connectionState(socket) !== 'arriving') continue;
    const late = Object.assign(new Error('The request did not arrive before the server closed.'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    // The platform's clientErrorHandler writes the 408 as problem+json and closes the socket.
    if (!server.emit('clientError', late, socket)) socket.destroy();
  }
}

/** The open HTTP connections, the first five described: who, since when, what passed, whether an answer is under way. */
function describeConnections(connections: Map<Socket, number>): string {
  const now = Date.now();
  const described = [...connections].slice(0, 5).map(([socket, since]) => {
    const state = { arriving: 'its request still arriving', handling: 'its request being handled', answering: 'its answer being written' }[connectionState(socket)];
    return `${socket.remoteAddress}:${socket.remotePort} open ${now - since} ms, read ${socket.bytesRead} B, wrote ${socket.bytesWritten} B, ${state}`;
  });
  return `${connections.size} HTTP connection(s) open${described.length ? ` (${described.join('; ')})` : ''}`;
}

/** `['TCPSocketWrap', 'Timeout', 'Timeout']` as `TCPSocketWrap 1, Timeout 2`. */
function summarizeResources(resources: string[]): string {
  const counts = new Map<string, number>();
  for (const resource of resources) counts.set(resource, (counts.get(resource) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${name} ${count}`).join(', ') || 'none';
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable)';
  }
}

async function probeDatabase(config: PlatformConfig): Promise<string | undefined> {
  const client = new Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: config.CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `DATABASE_URL: cannot reach ${redactUrl(config.DATABASE_URL)} (${describeError(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeNats(config: PlatformConfig): Promise<string | undefined> {
  try {
    const nc = await connect({ ...natsConnectOptions(config), timeout: config.CONNECT_TIMEOUT_MS, reconnect: false, name: 'trove-probe' });
    await nc.close();
    return undefined;
  } catch (error) {
    if ((error as { code?: string }).code === 'AUTHORIZATION_VIOLATION') return natsRefused(config);
    return `NATS_URL: cannot reach ${redactNatsUrl(config.NATS_URL)} (${describeError(error)})`;
  }
}

/** NATS answered but refused who we said we are: name the setting to fix, never its value. */
function natsRefused(config: PlatformConfig): string {
  const auth = natsAuth(config);
  const url = redactNatsUrl(config.NATS_URL);
  if (auth.method === 'none') {
    return `NATS_USER: NATS at ${url} requires credentials; set NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED_FILE or NATS_CREDS_FILE`;
  }
  const setting = { 'user and password': 'NATS_PASSWORD', token: 'NATS_TOKEN', nkey: 'NATS_NKEY_SEED_FILE', creds: 'NATS_CREDS_FILE' }[auth.method];
  return `${setting}: NATS at ${url} refused the ${auth.method}${auth.user ? ` of user ${auth.user}` : ''}`;
}

function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ') || String(error);
}
