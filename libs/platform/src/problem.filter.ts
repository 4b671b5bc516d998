import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestContext } from './context';
import { isDatabaseUnavailable } from './database-unavailable';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/** Every HTTP error leaves as application/problem+json; unknown ones are logged, not leaked. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const correlationId = RequestContext.current()?.correlationId ?? String(request?.id ?? '');
    const problem = toProblem(exception, correlationId);
    if (problem.status >= 500 && problem.code === 'INTERNAL') {
      this.logger.error({ err: exception, correlationId, route: request?.routeOptions?.url }, 'unhandled error');
    } else if (problem.status === 503 && isDatabaseUnavailable(exception)) {
      this.logger.warn({ err: exception, correlationId, route: request?.routeOptions?.url }, 'request not handled: the database is unavailable');
    }
    // A service that did not answer is usually back within seconds (a restart, a redeploy).
    if (problem.status === 503 && reply.getHeader('retry-after') === undefined) reply.header('retry-after', '1');
    // RFC 9110 asks a 401 to say how to authenticate; RFC 6750 names a key that was sent and refused.
    if (problem.status === 401 && reply.getHeader('www-authenticate') === undefined) {
      reply.header('www-authenticate', request?.headers?.authorization ? 'Bearer realm="trove", error="invalid_token"' : 'Bearer realm="trove"');
    }
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}
