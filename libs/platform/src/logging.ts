import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { PlatformConfig } from './config';
import { RequestContext } from './context';
import type { ServiceIdentity } from './platform.options';

const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/** JSON logs, one line per event, each carrying the correlation id of the work it belongs to. */
export function loggerParams(config: PlatformConfig, identity: ServiceIdentity): Params {
  return {
    pinoHttp: {
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
      // Fastify assigns the id (the client's x-correlation-id or a new UUID).
      genReqId: (req) => String((req as IncomingMessage & { id?: unknown }).id ?? ''),
      customAttributeKeys: { reqId: 'correlationId' },
      // Nest's middleware rewrites req.url, originalUrl keeps what the client asked for.
      autoLogging: {
        ignore: (req: IncomingMessage & { originalUrl?: string }) => QUIET_PATHS.has((req.originalUrl ?? req.url ?? '').split('?')[0]),
      },
      // Errors the ProblemFilter answered are logged there (with the stack when it is a bug);
      // the access line needs only the status.
      customErrorObject: (_req, _res, _error, value: Record<string, unknown>) => ({ ...value, err: undefined }),
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { id?: string; method?: string; url?: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      // Keys and secrets never reach a log line.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.apiKey', '*.key', '*.password', '*.secret'],
        censor: '[redacted]',
      },
    },
  };
}
