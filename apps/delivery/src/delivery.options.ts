import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { BootstrapOptions } from '@trove/platform';
import { DeliveryConfig } from './delivery.config';

/**
 * Delivery's HTTP surface is signed file URLs: no route takes JSON. Every body is handed to the
 * route unread, as the request stream, so an upload streams to storage instead of being
 * buffered, and BODY_LIMIT_BYTES (a JSON limit) never caps it; UPLOAD_MAX_BYTES does.
 */
export function streamRequestBodies(app: NestFastifyApplication): void {
  const adapter = app.getHttpAdapter() as FastifyAdapter;
  // Nest adds its JSON and form parsers when the app initializes, unless they are registered
  // already: register them now, then take every parser away.
  adapter.registerParserMiddleware();
  const fastify = adapter.getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null));
}

export const deliveryOptions: BootstrapOptions<DeliveryConfig> = { service: 'delivery', config: DeliveryConfig, configure: streamRequestBodies };
