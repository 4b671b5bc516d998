import { DeliveryErrorCode } from '@trove/contracts';
import { Controller, Get, Logger, Param, Query, Req, Res } from '@nestjs/common';
import { PublicRoute, ServiceException } from '@trove/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { clientHasFile, preconditionFails, readRange } from '../downloads/byte-range';
import { sendFileRange, type SendProgress } from '../downloads/file-sender';
import { cutOffSlowReaders } from '../downloads/send-pace';
import { DeliveryConfig } from '../delivery.config';
import { attachmentDisposition, headerText, platformHeaders } from '../downloads/response-headers';
import { FsObjectStorage } from '../storage/fs-object-storage';
import { ObjectNotFoundError, ObjectStorage } from '../storage/object-storage';
import { sampleTicketFromUrl } from './sample-ticket';
import { sampleGone, SamplesService, servedContentType } from './samples.service';

/**
 * The headers that keep a sample's bytes inert on delivery's origin. Vendors upload samples and
 * name their media type, so a "sample" may be HTML or SVG with script in it: it is a download
 * (`attachment`), the browser takes the Content-Type as sent (`nosniff`), and a browser that
 * renders it anyway renders it sandboxed, in an opaque origin, with no script, no plugin and
 * nothing loaded (`sandbox; default-src 'none'`).
 */
export const SAMPLE_SAFETY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'",
};

/**
 * `GET` and `HEAD` of a signed sample URL: a public preview, served like a download (Range,
 * If-Range, If-Match, If-None-Match, ETag, Content-Length, the bytes straight from storage to the socket) but with no
 * entitlement, no limits and no audit row: after the signature, one indexed read, then the bytes.
 */
@Controller('files/samples/:datasetId')
export class SamplesController {
  private readonly logger = new Logger('Samples');

  constructor(
    private readonly samples: SamplesService,
    private readonly storage: ObjectStorage,
    private readonly config: DeliveryConfig,
  ) {}

  // Fastify answers HEAD on this route too (exposeHeadRoutes), through this handler.
  @Get('*')
  @PublicRoute()
  async get(
    @Param('datasetId') datasetId: string,
    @Param('*') path: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const head = request.method === 'HEAD';
    const parsed = sampleTicketFromUrl({ datasetId, path }, query);
    const sample = await this.samples.admit(parsed);
    const ticket = parsed!.ticket;

    const etag = `"${sample.sha256}"`;
    if (preconditionFails(headerText(request.headers['if-match']), etag)) {
      void reply.headers({ etag, 'cache-control': 'private, no-store' });
      throw new ServiceException(DeliveryErrorCode.PRECONDITION_FAILED, 'If-Match names no entity-tag that is this sample\'s ETag: the sample is another one than the copy the client holds.');
    }
    if (clientHasFile(headerText(request.headers['if-none-match']), etag)) {
      void reply.code(304).headers({ etag, 'cache-control': 'private, no-store' }).send();
      return;
    }
    const range = readRange(request.headers.range, headerText(request.headers['if-range']), sample.size, etag);
    if (range.kind === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${sample.size}`).header('accept-ranges', 'bytes').header('etag', etag);
      throw new ServiceException(DeliveryErrorCode.RANGE_NOT_SATISFIABLE, `The sample has ${sample.size} bytes; the Range asks for none of them.`);
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : sample.size - 1;
    const length = Math.max(0, end - start + 1);
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes',
      etag,
      'content-length': length,
      'content-type': servedContentType(ticket.contentType),
      'content-disposition': attachmentDisposition(ticket.path),
      // The URL is short-lived and a listing can stop being public: no shared cache keeps the bytes.
      'cache-control': 'private, no-store',
      ...SAMPLE_SAFETY_HEADERS,
    };
    if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${sample.size}`;

    // Opened before the answer starts, so that an object deleted meanwhile (the sample replaced
    // between the read and now) is still a 404 and not a cut-off answer.
    const fs = this.storage instanceof FsObjectStorage ? this.storage : undefined;
    let file: FileHandle | undefined;
    let body: Readable | undefined;
    try {
      if (!head && length > 0) {
        if (fs) file = await open(fs.pathOf(sample.key), 'r');
        else body = (await this.storage.get(sample.key, { start, end })).body;
      }
    } catch (error) {
      if (error instanceof ObjectNotFoundError || (error as NodeJS.ErrnoException).code === 'ENOENT') throw sampleGone();
      throw error;
    }

    reply.hijack();
    const res = reply.raw;
    // A hijacked reply sends none of the headers set on it: those the platform set go with ours.
    res.writeHead(range.kind === 'partial' ? 206 : 200, { ...platformHeaders(reply), ...headers });
    const progress: SendProgress = { given: 0, sent: 0 };
    if (file || body) cutOffSlowReaders(res, progress, this.config, this.logger, `sample ${ticket.path} of dataset ${ticket.datasetId}`);
    if (file) {
      sendFileRange(file, start, end, res, progress).then(
        () => res.end(),
        () => res.destroy(),
      );
    } else if (body) {
      const stream = body;
      res.once('close', () => {
        if (!stream.destroyed) stream.destroy();
      });
      stream.on('data', (chunk: Buffer) => {
        progress.given += chunk.length;
        progress.sent += chunk.length;
      });
      stream.once('error', () => res.destroy());
      stream.pipe(res);
    } else {
      res.end();
    }
  }
}
