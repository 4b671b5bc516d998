import { DeliveryErrorCode } from '@trove/contracts';
import { Controller, Get, Logger, Param, Query, Req, Res } from '@nestjs/common';
import { MetricsService, PublicRoute, ServiceException } from '@trove/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Counter } from 'prom-client';
import { FsObjectStorage, isMissing } from '../storage/fs-object-storage';
import { ObjectNotFoundError, ObjectStorage } from '../storage/object-storage';
import { clientHasFile, preconditionFails, rangeStart, readRange } from './byte-range';
import type { DownloadTarget } from './download.repository';
import { downloadTicketFromUrl, type DownloadTicket } from './download-ticket';
import { sendFileRange, sendStream, type SendAllowance, type SendProgress } from './file-sender';
import { attachmentDisposition, headerText, platformHeaders } from './response-headers';
import { DownloadsService } from './downloads.service';
import { LogThrottle } from './log-throttle';
import { cutOffSlowReaders } from './send-pace';
import { DeliveryConfig } from '../delivery.config';

/**
 * `GET` and `HEAD` of a signed download URL. After the checks, the bytes go straight from
 * storage to the raw socket (the reply is hijacked: Fastify's reply path is far slower for large
 * bodies) in 1 MiB reads; a client that goes away destroys the storage stream. Expiry and the
 * entitlement are checked when a request starts: a download in progress is never cut off for
 * them. Under a download limit or a per-GiB allowance, it ends where the limit is reached.
 * If-Match without the file's ETag is 412 Precondition Failed, If-None-Match with it is 304 Not
 * Modified, and If-Range with another is the whole file (byte-range.ts). A file whose object is
 * missing from storage is 503 FILE_UNAVAILABLE, for HEAD as for GET, with nothing held or counted;
 * each one is counted in trove_delivery_objects_missing_total, and logged at most once per object
 * every ten minutes.
 */
@Controller('files/entitlements/:entitlementId/versions/:versionId')
export class DownloadsController {
  private readonly logger = new Logger('Downloads');
  private readonly missingLogs = new LogThrottle(MISSING_OBJECT_LOG_INTERVAL_MS, MISSING_OBJECT_LOG_KEYS, () => performance.now());
  private readonly objectsMissing: Counter<'driver'>;

  constructor(
    private readonly downloads: DownloadsService,
    private readonly storage: ObjectStorage,
    private readonly config: DeliveryConfig,
    metrics: MetricsService,
  ) {
    this.objectsMissing = new Counter({
      name: 'trove_delivery_objects_missing_total',
      help: 'Downloads (GET or HEAD) answered 503 FILE_UNAVAILABLE because the file\'s object is missing from storage, by storage driver',
      labelNames: ['driver'] as const,
      registers: [metrics.registry],
    });
    // Present from the start at 0, so that an alert on its increase sees the first one.
    this.objectsMissing.inc({ driver: storage.driver }, 0);
  }

  // Fastify answers HEAD on this route too (exposeHeadRoutes), through this handler.
  @Get('*')
  @PublicRoute()
  async get(
    @Param('entitlementId') entitlementId: string,
    @Param('versionId') versionId: string,
    @Param('*') path: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const head = request.method === 'HEAD';
    const rangeHeader = request.headers.range;
    const parsed = downloadTicketFromUrl({ entitlementId, versionId, path }, query);
    const startedAt = new Date();
    const target = await this.downloads.admit(parsed);
    const ticket = parsed!.ticket;

    const etag = `"${target.sha256}"`;
    // If-Match first, as RFC 9110 orders the preconditions: a client that asks for this file only
    // if it is still the copy it holds (a resume onto that copy) is told it is not, 412, with no
    // bytes and, like the 304 below, nothing held or counted. The entitlement was checked above.
    if (preconditionFails(headerText(request.headers['if-match']), etag)) {
      void reply.headers({ etag, 'cache-control': 'private, no-store' });
      throw new ServiceException(DeliveryErrorCode.PRECONDITION_FAILED, 'If-Match names no entity-tag that is this file\'s ETag: the file is another one than the copy the client holds.');
    }
    // A client that already holds this file (a sync checking its copy with the ETag it kept) is
    // told so: 304, no bytes, and nothing held or counted against seats, downloadLimit or the GiB
    // bought, since nothing is sent. The entitlement was checked above all the same.
    if (clientHasFile(headerText(request.headers['if-none-match']), etag)) {
      void reply.code(304).headers({ etag, 'cache-control': 'private, no-store' }).send();
      return;
    }
    const range = readRange(rangeHeader, headerText(request.headers['if-range']), target.size, etag);
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : target.size - 1;
    const length = range.kind === 'unsatisfiable' ? 0 : Math.max(0, end - start + 1);
    // The license's seats and downloadLimit, and the GiB bought of an offer sold per GiB, count
    // the downloads still running: this one holds its share (renewed while it runs, its bytes a
    // window at a time as they go out) until its audit row is written. A request served from the
    // file's first byte is a new download (a resume or a later range is not), whatever its Range
    // header says: `bytes=-19`, `bytes=00-`, several ranges or an If-Range that does not match all serve the file
    // from its start. Under a downloadLimit every range also counts its bytes against that many
    // copies of the file. A 416 sends nothing and holds nothing, but is refused past a limit all
    // the same; a HEAD is checked as the GET it describes (RFC 9110: the answer that GET would
    // get, without its body), so a client that asks HEAD first is never told 200 for a GET the
    // limits refuse, and holds nothing.
    // Who asked for which file: the audit row a hold let go of may leave (DownloadsService.release).
    const audit = { organizationId: ticket.caller.organizationId, versionId: ticket.versionId, path: ticket.path };
    const hold = await this.downloads.reserve(target, {
      keyId: ticket.caller.keyId,
      startsNew: rangeStart(range) === 0,
      start,
      bytes: length,
      ...(head ? { probe: true } : {}),
    });
    if (range.kind === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${target.size}`).header('accept-ranges', 'bytes').header('etag', etag);
      throw new ServiceException(DeliveryErrorCode.RANGE_NOT_SATISFIABLE, `The file has ${target.size} bytes; the Range asks for none of them.`);
    }
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes',
      etag,
      'content-length': length,
      'content-type': 'application/octet-stream',
      'content-disposition': attachmentDisposition(path),
      'cache-control': 'private, no-store',
    };
    if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${target.size}`;
    const status = range.kind === 'partial' ? 206 : 200;

    // The filesystem driver's files are read into reused buffers (no garbage per MiB); other
    // drivers' streams are piped. Either is opened before the answer starts, so a missing object
    // is still an error response. HEAD and an answer with no bytes open nothing, but still look
    // the object up: they must not promise a file a GET could not deliver.
    const fs = this.storage instanceof FsObjectStorage ? this.storage : undefined;
    let file: FileHandle | undefined;
    let body: Readable | undefined;
    try {
      if (head || length === 0) {
        if (!(await this.storage.exists(target.key))) throw new ObjectNotFoundError(target.key);
      } else if (fs) file = await open(fs.pathOf(target.key), 'r');
      else body = (await this.storage.get(target.key, { start, end })).body;
    } catch (error) {
      if (hold) await this.downloads.release(hold, target, audit);
      if (error instanceof ObjectNotFoundError || isMissing(error)) {
        this.reportMissing(error, target, ticket);
        void reply.header('retry-after', String(FILE_UNAVAILABLE_RETRY_AFTER_SECONDS));
        throw new ServiceException(
          DeliveryErrorCode.FILE_UNAVAILABLE,
          'This file cannot be read from storage at the moment. Nothing was sent or counted against the license; the operators have been alerted. Try again later.',
        );
      }
      throw error;
    }

    reply.hijack();
    const res = reply.raw;
    if (!res.socket || res.socket.destroyed) {
      // The client went away while the request was checked: its connection's close event has
      // passed, so the listener below would never let the hold go, and a cancelled request
      // would count against the license (seats, downloadLimit) for as long as this process runs.
      if (hold) await this.downloads.release(hold, target, audit);
      await file?.close();
      body?.destroy();
      return;
    }
    // A hijacked reply sends none of the headers set on it: those the platform sets on every
    // answer (x-correlation-id, the client's when valid) go with this one's.
    res.writeHead(status, { ...platformHeaders(reply), ...headers });
    if (!file && !body) {
      // HEAD or no bytes: nothing is held (a hold would be let go here).
      if (hold) void this.downloads.release(hold, target, audit);
      res.end();
      return;
    }
    const progress: SendProgress = { given: 0, sent: 0 };
    cutOffSlowReaders(res, progress, this.config, this.logger, `a download of ${ticket.path} by organization ${ticket.caller.organizationId}`);
    res.once('close', () => {
      if (body && !body.destroyed) body.destroy();
      const sent = progress.given;
      void this.downloads.record(target, {
        id: randomUUID(),
        entitlementId: target.entitlementId,
        organizationId: ticket.caller.organizationId,
        keyId: ticket.caller.keyId,
        objectKey: target.key,
        versionId: ticket.versionId,
        path: ticket.path,
        rangeStart: start,
        bytesAsked: length,
        bytesSent: sent,
        // Every byte's write completed: the answer is whole, even when the client, having read
        // it all, hung up before the response's own 'finish' (which then never comes).
        complete: progress.sent === length,
        startedAt,
        finishedAt: new Date(),
      }, hold);
    });
    // Under a download limit or a per-GiB allowance, a download longer than its hold's first
    // window sends what its hold allows and grows it as the bytes go out; when the limit refuses
    // more, the answer ends there (cut off: the client resumes, and is told why then).
    const allowance: SendAllowance | undefined =
      hold && hold.bytes > 0 && hold.bytes < length
        ? {
            get bytes() {
              return hold.bytes;
            },
            more: () => this.downloads.extend(target, hold),
          }
        : undefined;
    if (file) {
      sendFileRange(file, start, end, res, progress, allowance).then(
        () => res.end(),
        () => res.destroy(),
      );
    } else if (allowance) {
      sendStream(body!, res, progress, allowance).then(
        () => res.end(),
        () => res.destroy(),
      );
    } else {
      // As pipe() does, with each chunk counted as sent once its write completed.
      body!.on('data', (chunk: Buffer) => {
        progress.given += chunk.length;
        const more = res.write(chunk, (error) => {
          if (!error) progress.sent += chunk.length;
        });
        if (!more) body!.pause();
      });
      res.on('drain', () => body!.resume());
      body!.once('end', () => res.end());
      body!.once('error', () => res.destroy());
    }
  }

  /**
   * The file is in the manifest and paid for, but its bytes are gone from storage (deleted by
   * hand, a lost disk, a bucket emptied): only an operator can bring them back. Every answer is
   * counted; the log line, with what to restore, is written once per object an interval.
   */
  private reportMissing(error: unknown, target: DownloadTarget, ticket: DownloadTicket): void {
    this.objectsMissing.inc({ driver: this.storage.driver });
    const admitted = this.missingLogs.admit(target.key);
    if (!admitted) return;
    const { suppressed, shared } = admitted;
    this.logger.error(
      { err: error, driver: this.storage.driver, objectKey: target.key, entitlementId: target.entitlementId, versionId: ticket.versionId, path: ticket.path, suppressed, shared },
      shared
        ? `objects of paid files are missing from storage, more than the ${MISSING_OBJECT_LOG_KEYS} logged one by one in ten minutes; this line stands for all the others (suppressed: those held back since the last): restore them from backup`
        : "a paid file's object is missing from storage: restore it from backup",
    );
  }
}

/**
 * How long the missing object's log line is held back after it is written for one object key.
 * A client holding a signed URL to the file can ask for it thousands of times a second, each
 * answered 503: one line per request would bury the one an operator needs. Every ten minutes
 * keeps a recent line about the object for as long as it stays missing, six an hour at most; the
 * counter in /metrics sees every request as it comes.
 */
const MISSING_OBJECT_LOG_INTERVAL_MS = 10 * 60_000;

/**
 * How many object keys the throttle of that log line remembers: its memory stays bounded however
 * many missing objects are asked for. Beyond them, within ten minutes, one shared line stands for
 * every other key.
 */
const MISSING_OBJECT_LOG_KEYS = 1000;

/**
 * What the Retry-After of FILE_UNAVAILABLE says: an object missing from storage comes back only
 * when an operator restores it, so a client retrying every second would gain nothing.
 */
const FILE_UNAVAILABLE_RETRY_AFTER_SECONDS = 60;
