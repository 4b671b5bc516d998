import { filePathProblems } from '@trove/dataset';
import {
  CatalogSubjects,
  CommonErrorCode,
  DeliveryErrorCode,
  type SignedUpload,
  type SignUploadRequest,
  type UploadedFile,
} from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { NotDelivered, RpcClient, UnitOfWork } from '@trove/messaging';
import { RequestContext, ServiceException, type Caller } from '@trove/platform';
import { lookup as lookupType } from 'mime-types';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { callerRefusal } from '../callers/caller-standing';
import { DeliveryConfig } from '../delivery.config';
import { UrlSigner, urlExpiry, type UrlSignature } from '../signing/url-signer';
import { isTextType } from '../samples/samples.service';
import { ObjectStorage, ObjectTooLargeError, type StoredObjectInfo } from '../storage/object-storage';
import { ObjectDeletions } from './object-deletions';
import { StoredObjectRepository, type NewStoredObject } from './stored-object.repository';
import { uploadGrant, uploadUrl, type UploadTicket } from './upload-ticket';

/** What the PUT brought besides the bytes. */
export interface UploadRequestInfo {
  /** The Content-Length header, when the client sent one. */
  contentLength?: number;
  /** The Content-Type header, kept for samples (their previews are served with it). */
  contentType?: string;
  /** The Content-Type's charset parameter, lower-cased, when it has one. */
  charset?: string;
}

/**
 * Signed uploads: catalog asks for a URL (after its own checks), the vendor PUTs the bytes to
 * it, delivery streams them to storage while measuring them, checks what was declared, and
 * tells catalog. Whatever fails on the way, nothing is kept.
 */
@Injectable()
export class UploadsService {
  private readonly logger = new Logger('Uploads');
  constructor(
    private readonly config: DeliveryConfig,
    private readonly signer: UrlSigner,
    private readonly storage: ObjectStorage,
    private readonly objects: StoredObjectRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly rpc: RpcClient,
    private readonly deletions: ObjectDeletions,
  ) {}

  sign(request: SignUploadRequest, caller: Caller | undefined, now = Date.now()): SignedUpload {
    if (!caller) throw new ServiceException(CommonErrorCode.FORBIDDEN, 'An upload URL is signed for a caller; this request has none.');
    assertSafePath(request.path);
    const limit = this.limitFor(request.maxBytes);
    if (request.size !== undefined && request.size > limit) {
      throw new ServiceException(DeliveryErrorCode.UPLOAD_TOO_LARGE, `This upload may be at most ${limit} bytes; ${request.size} were declared.`);
    }
    const expires = urlExpiry(now, this.config.UPLOAD_URL_TTL_SECONDS, caller);
    const ticket: UploadTicket = {
      target: request.target,
      datasetId: request.datasetId,
      ...(request.target === 'version-file' ? { versionId: request.versionId } : {}),
      path: request.path,
      ...(request.size !== undefined ? { size: request.size } : {}),
      ...(request.sha256 !== undefined ? { sha256: request.sha256 } : {}),
      ...(request.maxBytes !== undefined ? { maxBytes: request.maxBytes } : {}),
      caller: { organizationId: caller.organizationId, role: caller.role, keyId: caller.keyId },
      expires,
      nonce: randomBytes(16).toString('base64url'),
    };
    const signature = this.signer.sign(uploadGrant(ticket));
    return { uploadUrl: uploadUrl(this.config.publicUrl(), ticket, signature), expiresAt: new Date(expires * 1000).toISOString() };
  }

  /**
   * The checks that cost nothing, before a byte is read: a safe path (400), a signature made
   * here for exactly this upload (403), not expired (403), and a Content-Length that fits.
   */
  admit(ticket: UploadTicket | null, signature: UrlSignature | null, info: UploadRequestInfo, now = Date.now()): UploadTicket {
    if (!ticket || !signature) throw invalidUrl();
    assertSafePath(ticket.path);
    const verdict = this.signer.verify(uploadGrant(ticket), signature, now);
    if (!verdict.ok) {
      if (verdict.reason === 'expired') throw new ServiceException(DeliveryErrorCode.URL_EXPIRED, 'This upload URL has expired: ask for a new one.');
      throw invalidUrl();
    }
    const limit = this.limitFor(ticket.maxBytes);
    if (info.contentLength !== undefined) {
      if (info.contentLength > limit) throw tooLarge(limit);
      if (ticket.size !== undefined && info.contentLength !== ticket.size) {
        throw new ServiceException(
          DeliveryErrorCode.SIZE_MISMATCH,
          `The upload URL was signed for ${ticket.size} bytes and this request's Content-Length announces ${info.contentLength}; no byte was read and nothing was kept.`,
        );
      }
    }
    if (ticket.target === 'sample') refuseNonUtf8Text(info);
    return ticket;
  }

  /**
   * Refuses a URL whose file was recorded already (403 URL_USED) before its body is read: a
   * replayed 1 GiB upload is turned away at its headers, not after an hour's bytes went to
   * storage. Two uploads through one URL at once both pass here; receive() keeps one of them.
   */
  async refuseSpent(ticket: UploadTicket): Promise<void> {
    const nonce = ticket.nonce;
    if (nonce !== undefined && (await this.unitOfWork.read(() => this.objects.isUrlSpent(nonce)))) throw urlUsed();
  }

  /** Streams the body to storage and records it; answers once catalog has the file. */
  async receive(ticket: UploadTicket, body: Readable, info: UploadRequestInfo = {}): Promise<UploadedFile> {
    const key = `datasets/${ticket.datasetId}/${randomUUID()}`;
    const stored = await this.store(ticket, key, body);
    const object: NewStoredObject = {
      key,
      target: ticket.target,
      datasetId: ticket.datasetId,
      versionId: ticket.versionId ?? null,
      path: ticket.path,
      size: stored.size,
      sha256: stored.sha256,
      uploadedBy: ticket.caller.organizationId,
    };
    let replaced: string[];
    // Whether catalog may have recorded the file: from the moment it was asked, unless it
    // answered with a refusal. Then the object is not ours to delete: the sweep asks catalog.
    let catalogMayHaveIt = false;
    try {
      // The row first: a crash after catalog recorded the file must not leave an object that
      // catalog lists and delivery does not know.
      await this.unitOfWork.run(() => this.objects.insert(object));
      replaced = await this.unitOfWork.run(async () => {
        // A URL stays valid for an hour: a key revoked or an organization suspended since it was
        // signed (a leaked key, an operator's suspension) must not put files in the catalog.
        const refused = callerRefusal(await this.objects.lockFile(object, ticket.caller), 'upload');
        if (refused) throw refused;
        // One file per URL: whoever else holds it cannot replace the file, or put back one the
        // vendor removed, for the rest of its hour.
        if (ticket.nonce !== undefined && !(await this.objects.spendUrl(ticket.nonce, new Date(ticket.expires * 1000)))) throw urlUsed();
        catalogMayHaveIt = true;
        try {
          await this.tellCatalog(ticket, object, info);
        } catch (error) {
          catalogMayHaveIt = !isRefusal(error);
          throw error;
        }
        return this.objects.markRecorded(object);
      });
    } catch (error) {
      if (catalogMayHaveIt) {
        // Catalog did not answer in time (it may still have committed), or it answered and this
        // side failed to record that: keep the bytes and the unrecorded row, and let the sweep of
        // unconfirmed uploads ask catalog which it was (UnconfirmedUploadsSweeper).
        this.logger.warn({ err: error, key, datasetId: ticket.datasetId, path: ticket.path }, 'catalog may have recorded an upload this request could not confirm; the sweep settles it');
        throw unconfirmed(error);
      }
      // The uploader's key was revoked or its organization suspended, catalog refused (the
      // version was released meanwhile), or the database failed before catalog was asked: keep
      // nothing.
      await this.discard(key);
      throw error;
    }
    // After the answer: their rows are gone and their keys queued already, and nobody waits
    // for the bytes to go (removing a 1 GiB file took 350-480 ms here, a fifth of the upload).
    this.deletions.start(replaced);
    return { path: ticket.path, size: stored.size, sha256: stored.sha256 };
  }

  private async store(ticket: UploadTicket, key: string, body: Readable): Promise<StoredObjectInfo> {
    const limit = this.limitFor(ticket.maxBytes);
    // Reading stops at the declared size when there is one: one byte more is already a mismatch.
    const cutOff = ticket.size !== undefined ? Math.min(limit, ticket.size) : limit;
    let stored: StoredObjectInfo;
    try {
      stored = await this.storage.put(key, body, { maxBytes: cutOff });
    } catch (error) {
      if (error instanceof ObjectTooLargeError) throw cutOff < limit ? sizeMismatch(ticket.size!, `more than ${cutOff}`) : tooLarge(limit);
      if (isClientAbort(error)) {
        throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'The upload ended before all bytes arrived; nothing was kept.');
      }
      throw error;
    }
    if (ticket.size !== undefined && stored.size !== ticket.size) {
      await this.storage.delete(key);
      throw sizeMismatch(ticket.size, stored.size);
    }
    if (ticket.sha256 !== undefined && stored.sha256 !== ticket.sha256) {
      await this.storage.delete(key);
      throw new ServiceException(
        DeliveryErrorCode.CHECKSUM_MISMATCH,
        `The bytes have SHA-256 ${stored.sha256}, not the declared ${ticket.sha256}; nothing was kept.`,
      );
    }
    return stored;
  }

  /** Catalog is told as the vendor who uploaded, so its logs and audit name them. */
  private tellCatalog(ticket: UploadTicket, object: NewStoredObject, info: UploadRequestInfo): Promise<unknown> {
    const context = { ...RequestContext.current(), correlationId: RequestContext.correlationId(), caller: ticket.caller };
    return RequestContext.run(context, () =>
      ticket.target === 'version-file'
        ? this.rpc.send(CatalogSubjects.addVersionFile, {
            datasetId: ticket.datasetId,
            versionId: ticket.versionId!,
            path: ticket.path,
            size: object.size,
            sha256: object.sha256,
            storageKey: object.key,
          })
        : this.rpc.send(CatalogSubjects.addSample, {
            datasetId: ticket.datasetId,
            path: ticket.path,
            size: object.size,
            sha256: object.sha256,
            storageKey: object.key,
            ...sampleType(ticket.path, info.contentType),
          }),
    );
  }

  private async discard(key: string): Promise<void> {
    try {
      await this.unitOfWork.run(() => this.objects.remove(key));
    } catch (error) {
      // Catalog has no record of these bytes, so they go all the same; a row left behind (if its
      // insert committed) is settled by the sweep of unconfirmed uploads, which catalog will not
      // list it to. Without a row or a queued key, nothing else would ever delete them.
      this.logger.error({ err: error, key }, 'could not remove the row of a refused upload');
      await this.storage.delete(key).catch((failure: unknown) => this.logger.error({ err: failure, key }, 'could not delete a refused upload'));
      return;
    }
    await this.deletions.delete(key);
  }

  private limitFor(maxBytes: number | undefined): number {
    return Math.min(maxBytes ?? Number.MAX_SAFE_INTEGER, this.config.UPLOAD_MAX_BYTES);
  }
}

function assertSafePath(path: string): void {
  const problems = filePathProblems(path);
  if (problems.length > 0) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, `path: ${problems.join(', ')}`, [{ field: 'path', problems }]);
  }
}

function invalidUrl(): ServiceException {
  return new ServiceException(DeliveryErrorCode.URL_INVALID, 'This URL was not signed by Trove for this upload, or it was changed.');
}

function urlUsed(): ServiceException {
  return new ServiceException(
    DeliveryErrorCode.URL_USED,
    'A file was uploaded through this URL already, and an upload URL is good for one file; nothing was kept. Ask for a new URL to upload it again.',
  );
}

function tooLarge(limit: number): ServiceException {
  return new ServiceException(DeliveryErrorCode.UPLOAD_TOO_LARGE, `This upload may be at most ${limit} bytes; nothing was kept.`);
}

function sizeMismatch(declared: number, actual: number | string): ServiceException {
  return new ServiceException(DeliveryErrorCode.SIZE_MISMATCH, `The upload declared ${declared} bytes and sent ${actual}; nothing was kept.`);
}

/**
 * Catalog recorded nothing: it refused the file (a 4xx problem), or the request never reached it
 * (catalog was not running, or the upload's deadline had passed). A 5xx answer, or none in time,
 * says nothing of whether its transaction committed.
 */
function isRefusal(error: unknown): boolean {
  return error instanceof NotDelivered || (error instanceof ServiceException && error.status < 500);
}

/** What the vendor hears when the file may or may not be in the catalog: safe to send again. */
function unconfirmed(cause: unknown): ServiceException {
  const why = cause instanceof ServiceException && cause.code === CommonErrorCode.SERVICE_UNAVAILABLE ? `${cause.message} ` : '';
  return new ServiceException(
    CommonErrorCode.SERVICE_UNAVAILABLE,
    `${why}The bytes were stored, but the catalog's record of the file was not confirmed: within minutes it lists the file, or the bytes are deleted. Uploading the file again is safe.`,
  );
}

function isClientAbort(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error)?.message === 'aborted';
}

/**
 * What tools send when nobody told them the file's type: `curl --data-binary` says
 * `application/x-www-form-urlencoded`, a form says `multipart/form-data`. Neither is a file's type.
 */
const UNTOLD_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * The media type a sample is served with: the one its PUT declared, or, when it declared none
 * or only what a tool says by default, the one its name's extension has (`mime-types`), so that
 * a `.wav` uploaded with plain curl plays as audio instead of being served as a form. Only audio,
 * video, raster images and PDF are taken from a name: text, JSON, XML or script in an unknown
 * charset would be served as UTF-8, and an `.svgz` is gzip, not SVG; those stay untyped
 * (`application/octet-stream`).
 */
function sampleType(path: string, declared: string | undefined): { contentType?: string } {
  if (declared !== undefined && !UNTOLD_TYPES.has(declared)) return { contentType: declared };
  const named = lookupType(path);
  return named && NAMED_TYPES.test(named) ? { contentType: named } : {};
}

/** The types a sample's name may give it (`sampleType`). */
const NAMED_TYPES = /^(?:audio\/|video\/|image\/(?!svg)|application\/pdf$)/;

/** Charsets whose bytes are UTF-8 as they are (US-ASCII is a subset of it). */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/**
 * A text or JSON sample is served as UTF-8 (`; charset=utf-8`, samples.service.ts): one declared
 * in another charset (GBK, GB18030, Big5, Shift_JIS...) would be shown to buyers as mojibake, so
 * it is refused at its headers, before a byte is read, saying to convert it.
 */
function refuseNonUtf8Text(info: UploadRequestInfo): void {
  if (info.contentType === undefined || info.charset === undefined || !isTextType(info.contentType) || UTF8_CHARSETS.has(info.charset)) return;
  throw new ServiceException(
    CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
    `This sample is declared ${info.contentType} in charset ${info.charset}, but text samples are stored and served as UTF-8, so buyers would see it garbled. ` +
      `Convert it to UTF-8 (for example: iconv -f ${info.charset.toUpperCase()} -t UTF-8) and upload it again with charset=utf-8, or send it as application/octet-stream; nothing was kept.`,
  );
}
