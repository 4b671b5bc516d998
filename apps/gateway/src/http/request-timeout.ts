import type { Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GatewayConfig } from '../gateway.config';

/**
 * A request that has not fully arrived within HTTP_REQUEST_TIMEOUT_MS is answered 408 (the
 * platform's problem+json for errors before any route) and its connection closed. Node checks
 * its connections on an interval read when the server starts listening; it is made a quarter
 * of the timeout (at most 5 s) so a slow request ends near its deadline, not up to 30 s late.
 */
export function limitRequestTime(app: NestFastifyApplication, config: Pick<GatewayConfig, 'HTTP_REQUEST_TIMEOUT_MS'>): void {
  // connectionsCheckingInterval is a server option Node's types do not list as a property.
  const server = app.getHttpServer() as Server & { connectionsCheckingInterval: number };
  const timeout = config.HTTP_REQUEST_TIMEOUT_MS;
  server.requestTimeout = timeout;
  // Node refuses headers a longer time than the whole request.
  server.headersTimeout = Math.min(server.headersTimeout || timeout, timeout);
  server.connectionsCheckingInterval = Math.min(5000, Math.max(250, Math.floor(timeout / 4)));
}
