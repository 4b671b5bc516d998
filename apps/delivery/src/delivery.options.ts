import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { BootstrapOptions } from '@trove/platform';
import type { Server } from 'node:http';
import { DeliveryConfig } from './delivery.config';
import { continueUploadsWhenRead } from './uploads/expect-continue';

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

/** Delivery's set-up of its HTTP app: bodies streamed unread, an upload's 100 Continue sent when it is read. */
export function configureDelivery(app: NestFastifyApplication): void {
  streamRequestBodies(app);
  continueUploadsWhenRead(app.getHttpServer() as Server);
}

export const deliveryOptions: BootstrapOptions<DeliveryConfig> = { service: 'delivery', config: DeliveryConfig, configure: configureDelivery };
