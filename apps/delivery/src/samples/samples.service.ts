import { filePathProblems } from '@trove/dataset';
import { CommonErrorCode, DeliveryErrorCode, type SignedSample, type SignSampleRequest } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { DeliveryConfig } from '../delivery.config';
import { UrlSigner, type UrlSignature } from '../signing/url-signer';
import { SampleObjectRepository, type SampleObject } from './sample-object.repository';
import { sampleGrant, sampleUrl, type SampleTicket } from './sample-ticket';

/** A media type as the upload took it (`audio/wav`): anything else is served as bytes. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** Text and the JSON family (`application/json`, `+json`, JSON Lines, NDJSON): decoded by a charset. */
const TEXT_TYPE = /^(?:text\/[a-z0-9!#$&^_.+-]+|application\/(?:json|jsonl|x-jsonl|jsonlines|x-jsonlines|ndjson|x-ndjson|json-seq|[a-z0-9!#$&^_.+-]+\+json))$/;

/**
 * The Content-Type a sample is served with: the media type the vendor uploaded it with (one
 * MEDIA_TYPE let through, with no parameter), `application/octet-stream` when there was none, and
 * `; charset=utf-8` after a text or JSON type. Without it, clients decode text by their own rule
 * (Python's requests takes ISO-8859-1 for `text/*`), and a Chinese sample reads as mojibake;
 * Trove's samples are UTF-8 (JSON is UTF-8 by RFC 8259). The upload's own parameters are not
 * kept, so no header text of the vendor's reaches the stored type or this header.
 */
export function servedContentType(contentType: string | undefined): string {
  if (contentType === undefined) return 'application/octet-stream';
  return isTextType(contentType) ? `${contentType}; charset=utf-8` : contentType;
}

/** A media type (no parameters) whose bytes a client decodes by a charset: text or JSON. */
export function isTextType(mediaType: string): boolean {
  return TEXT_TYPE.test(mediaType);
}

/**
 * Sample URLs: the catalog decides who may see a listing and asks for a URL of one of its
 * samples; whoever holds it may GET or HEAD the bytes until it expires. A sample is not sold:
 * no entitlement, no limits, no audit row, and one indexed read per request.
 */
@Injectable()
export class SamplesService {
  constructor(
    private readonly config: DeliveryConfig,
    private readonly signer: UrlSigner,
    private readonly objects: SampleObjectRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  sign(request: SignSampleRequest, now = Date.now()): SignedSample {
    const problems = filePathProblems(request.path);
    if (problems.length > 0) throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, `path: ${problems.join(', ')}`, [{ field: 'path', problems }]);
    const expires = Math.floor(now / 1000) + this.config.SAMPLE_URL_TTL_SECONDS;
    const ticket: SampleTicket = {
      datasetId: request.datasetId,
      path: request.path,
      sha256: request.sha256,
      ...(request.contentType !== undefined && MEDIA_TYPE.test(request.contentType) ? { contentType: request.contentType } : {}),
      expires,
    };
    return { url: sampleUrl(this.config.publicUrl(), ticket, this.signer.sign(sampleGrant(ticket))), expiresAt: new Date(expires * 1000).toISOString() };
  }

  /**
   * The signature and expiry (no I/O), then the object the sample path holds now: it must still
   * have the bytes the URL was signed for. A sample its vendor replaced by other bytes is
   * NOT_FOUND (404), never the new bytes under the old hash; the same bytes uploaded again are
   * served as before.
   */
  async admit(parsed: { ticket: SampleTicket; signature: UrlSignature } | null, now = Date.now()): Promise<SampleObject> {
    if (!parsed) throw invalidUrl();
    const verdict = this.signer.verify(sampleGrant(parsed.ticket), parsed.signature, now);
    if (!verdict.ok) {
      if (verdict.reason === 'expired') {
        throw new ServiceException(DeliveryErrorCode.URL_EXPIRED, 'This sample URL has expired: GET /v1/datasets/:id/samples/:sampleId again for a new one.');
      }
      throw invalidUrl();
    }
    const { ticket } = parsed;
    const current = await this.unitOfWork.read(() => this.objects.current(ticket.datasetId, ticket.path));
    if (!current || current.sha256 !== ticket.sha256) throw sampleGone();
    return current;
  }
}

/** The sample this URL was signed for no longer has those bytes (replaced since) or is gone. */
export function sampleGone(): ServiceException {
  return new ServiceException(
    CommonErrorCode.NOT_FOUND,
    'This sample was replaced since the URL was signed, so its bytes are no longer the ones the URL is for: GET /v1/datasets/:id/samples/:sampleId again for a URL of the current ones.',
  );
}

function invalidUrl(): ServiceException {
  return new ServiceException(DeliveryErrorCode.URL_INVALID, 'This URL was not signed by Trove for this sample, or it was changed.');
}
