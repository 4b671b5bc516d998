import { CommonErrorCode, type UploadedFile } from '@trove/contracts';
import { Controller, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { PublicRoute, ServiceException } from '@trove/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UploadPace } from './upload-pace';
import { ticketFromUrl, type UploadRoute } from './upload-ticket';
import { UploadsService, type UploadRequestInfo } from './uploads.service';

/**
 * `PUT` of a signed upload URL. Whoever holds the URL may use it until it expires; the body
 * streams straight to storage (delivery's content-type parser hands it through unread).
 */
@Controller('files/uploads/datasets/:datasetId')
export class UploadsController {
  constructor(
    private readonly uploads: UploadsService,
    private readonly pace: UploadPace,
  ) {}

  @Put('versions/:versionId/*')
  @PublicRoute()
  @HttpCode(201)
  putVersionFile(
    @Param('datasetId') datasetId: string,
    @Param('versionId') versionId: string,
    @Param('*') path: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadedFile> {
    return this.receive({ datasetId, versionId, path }, query, request, reply);
  }

  @Put('samples/*')
  @PublicRoute()
  @HttpCode(201)
  putSample(
    @Param('datasetId') datasetId: string,
    @Param('*') path: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadedFile> {
    return this.receive({ datasetId, path }, query, request, reply);
  }

  private async receive(route: UploadRoute, query: Record<string, unknown>, request: FastifyRequest, reply: FastifyReply): Promise<UploadedFile> {
    const info = requestInfo(request);
    const parsed = ticketFromUrl(route, query);
    const raw = request.raw;
    let admitted: { release: () => void } | undefined;
    try {
      const ticket = this.uploads.admit(parsed?.ticket ?? null, parsed?.signature ?? null, info);
      await this.uploads.refuseSpent(ticket);
      admitted = this.pace.admit(ticket.caller.organizationId, raw);
      // The request itself, read by storage with no stream in between (each one costs per
      // chunk). Storage never destroys it: a refused upload must leave the request able to carry
      // the 413 or 422 that says why, or the client would see a reset connection instead.
      return await this.uploads.receive(ticket, raw, info);
    } catch (error) {
      // The rest of the body is not read: the connection cannot carry another request.
      if (!raw.complete) void reply.header('connection', 'close');
      // Too many uploads of the organization at once: one of them ends within seconds, as a rule.
      if (error instanceof ServiceException && error.code === CommonErrorCode.RATE_LIMITED) void reply.header('retry-after', String(UPLOAD_RETRY_AFTER_SECONDS));
      throw error;
    } finally {
      admitted?.release();
    }
  }
}

/** What a refused upload's Retry-After says: the organization's other uploads are running. */
const UPLOAD_RETRY_AFTER_SECONDS = 5;

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The charset parameters of a Content-Type, quoted or not (RFC 9110 8.3.1). */
const CHARSET = /;\s*charset\s*=\s*(?:"([^"]{1,64})"|([^;\s]{1,64}))/gi;

/**
 * The charset a Content-Type declares, lower-cased: a header that gives more than one (`charset=utf-8;
 * charset=gbk`) declares the first that is not UTF-8, so that the check of a text sample's charset
 * cannot be passed by a UTF-8 one put in front.
 */
function declaredCharset(header: string): string | undefined {
  const charsets = [...header.matchAll(CHARSET)].map((m) => (m[1] ?? m[2]).trim().toLowerCase());
  return charsets.find((charset) => !/^(?:utf-?8|us-ascii|ascii)$/.test(charset)) ?? charsets[0];
}

function requestInfo(request: FastifyRequest): UploadRequestInfo {
  const length = request.headers['content-length'];
  const header = request.headers['content-type'];
  const type = header?.split(';')[0].trim().toLowerCase();
  const charset = header === undefined ? undefined : declaredCharset(header);
  return {
    ...(length !== undefined && /^\d{1,16}$/.test(length) ? { contentLength: Number(length) } : {}),
    ...(type && MEDIA_TYPE.test(type) ? { contentType: type } : {}),
    ...(charset ? { charset } : {}),
  };
}
