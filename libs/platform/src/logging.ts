import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger, type LoggerOptions, type Level } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { PlatformConfig } from './config';
import { RequestContext } from './context';
import type { ServiceIdentity } from './platform.options';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * JSON for collectors, pipes and containers; readable lines when a person watches a terminal
 * (an app started alone in one), or when TROVE_LOG_FORMAT=pretty says so. npm start asks its
 * apps for JSON and prints them readably itself, next to each other.
 */
export function logsArePretty(config: Pick<PlatformConfig, 'TROVE_LOG_FORMAT'>, stdout: { isTTY?: boolean } = process.stdout): boolean {
  return config.TROVE_LOG_FORMAT ? config.TROVE_LOG_FORMAT === 'pretty' : Boolean(stdout.isTTY);
}

function prettyStream(destination?: DestinationStream): DestinationStream {
  const prettify = prettyFactory({
    colorize: !destination && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    translateTime: 'UTC:HH:MM:ss.l',
    ignore: 'pid,hostname,version,instance,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
    errorLikeObjectKeys: ['err', 'error'],
  });
  const out = destination ?? pino.destination({ fd: 1, sync: true });
  return { write: (line: string) => out.write(prettify(line)) };
}

/**
 * The process's one pino logger: lines carrying service, version and instance, and the
 * correlation id (and caller) of whatever HTTP request or NATS message is being handled.
 * `destination` is for tests; the logger writes to stdout.
 */
export function createRootLogger(config: PlatformConfig, identity: ServiceIdentity, destination?: DestinationStream): Logger {
  const stream = logsArePretty(config) ? prettyStream(destination) : destination;
  const options: LoggerOptions<never> = {
    level: config.LOG_LEVEL,
    base: { service: identity.service, version: identity.version, instance: identity.instance },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    messageKey: 'msg',
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => {
      const context = RequestContext.current();
      if (!context) return {};
      return context.caller
        ? { correlationId: context.correlationId, organizationId: context.caller.organizationId, keyId: context.caller.keyId }
        : { correlationId: context.correlationId };
    },
    // Keys and secrets never reach a log line.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.apiKey', '*.key', '*.password', '*.secret'],
      censor: '[redacted]',
    },
  };
  return stream ? pino(options, stream) : pino(options);
}

/**
 * nestjs-pino routes Nest's logger to the root logger. Its per-request middleware (pino-http)
 * is not used: building a child logger for every request cost about a tenth of the gateway's
 * CPU even with nothing logged, so the access line is written by `logRequest` instead.
 */
export function loggerParams(root: Logger): Params {
  return { pinoHttp: { logger: root }, forRoutes: [] };
}

/**
 * A signed URL's signature is a credential: whoever reads it in a log could upload or download
 * with it until it expires. Its value is replaced, the rest of the URL kept.
 */
const SIGNATURE_PARAMETER = /([?&](?:sig|signature|x-amz-signature|token)=)[^&#]*/gi;

function withoutSignatures(url: string): string {
  return url.replace(SIGNATURE_PARAMETER, '$1[redacted]');
}

/** One access line per request, at warn for 4xx and error for 5xx; probes and scrapes are quiet. */
export function logRequest(root: Logger, request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const level: Level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
  if (!root.isLevelEnabled(level)) return;
  const path = request.url.split('?')[0];
  if (QUIET_PATHS.has(path)) return;
  RequestContext.run({ correlationId: String(request.id) }, () =>
    root[level]({ req: { method: request.method, url: withoutSignatures(request.url) }, res: { statusCode: status }, responseTime: Math.round(reply.elapsedTime) }, 'request completed'),
  );
}
