import { CommonErrorCode, DeliveryErrorCode, DeliveryEvents } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { checkUse } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { currentStatus, refusal } from '../entitlements/entitlements.service';
import { UrlSigner, type UrlSignature } from '../signing/url-signer';
import { DownloadRepository, GIB, type DownloadRecord, type DownloadTarget } from './download.repository';
import { downloadGrant, type DownloadTicket } from './download-ticket';

/**
 * The checks of each download request, in the order that costs least: the signature and expiry
 * (no I/O), then one indexed read of the entitlement's current row and the file, then the
 * license's limits. Every refusal is a 403 and not one byte.
 */
@Injectable()
export class DownloadsService {
  private readonly logger = new Logger('Downloads');
  private readonly inFlight = new Map<string, Promise<DownloadTarget | null>>();
  /** Bytes of downloads running in this process, per entitlement sold per GiB. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly signer: UrlSigner,
    private readonly downloads: DownloadRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async admit(parsed: { ticket: DownloadTicket; signature: UrlSignature } | null, startsNewDownload: boolean, now = Date.now()): Promise<DownloadTarget> {
    if (!parsed) throw invalidUrl();
    const { ticket, signature } = parsed;
    const verdict = this.signer.verify(downloadGrant(ticket), signature, now);
    if (!verdict.ok) {
      if (verdict.reason === 'expired') throw new ServiceException(DeliveryErrorCode.URL_EXPIRED, 'This download URL has expired: read the manifest again for new URLs.');
      throw invalidUrl();
    }
    const target = await this.currentTarget(ticket);
    // Signed, but the version is no longer covered or has no such file: same answer as a forgery.
    if (!target) throw invalidUrl();
    if (target.buyerOrganizationId !== ticket.caller.organizationId) {
      throw new ServiceException(CommonErrorCode.FORBIDDEN, 'This entitlement belongs to another organization.');
    }
    const at = new Date(now);
    const status = currentStatus(target, at);
    if (status === 'revoked') throw new ServiceException(DeliveryErrorCode.ENTITLEMENT_REVOKED, 'This entitlement was revoked (the order was refunded).');
    if (status === 'expired') throw new ServiceException(DeliveryErrorCode.ENTITLEMENT_EXPIRED, 'This entitlement has expired: its license term or subscription ended.');
    const terms = target.terms;
    const countSeats = terms.seats !== null;
    const countDownloads = startsNewDownload && terms.downloadLimit != null;
    // Only a license with limits costs more reads.
    const counts: { seatsInUse?: number; downloadsSoFar?: number } =
      countSeats || countDownloads
        ? await this.unitOfWork.read(async () => ({
            seatsInUse: countSeats ? await this.downloads.seatsWith(target.entitlementId, ticket.caller.keyId) : undefined,
            downloadsSoFar: countDownloads ? await this.downloads.downloadsOf(target.entitlementId, target.key) : undefined,
          }))
        : {};
    const decision = checkUse(terms, {
      use: 'download',
      grantedAt: target.grantedAt,
      at,
      ...(counts.seatsInUse !== undefined ? { seatsInUse: counts.seatsInUse } : {}),
      ...(counts.downloadsSoFar !== undefined ? { downloadsSoFar: counts.downloadsSoFar } : {}),
    });
    if (!decision.permitted) throw refusal(decision.reason, decision.detail);
    return target;
  }

  /**
   * A download of `bytes` under an entitlement sold per GiB: refused (ALLOWANCE_EXHAUSTED, not
   * one byte sent) when the bytes already delivered, the bytes of this process's downloads still
   * running and these would together pass the GiB bought. The bytes are held for the download
   * until `record` has written its audit row (then the row counts them); other replicas' running
   * downloads are not seen, so parallel requests spread over replicas may pass the allowance by
   * at most what they asked for together. Other offers: no check, null.
   */
  async reserveAllowance(target: DownloadTarget, bytes: number): Promise<AllowanceHold | null> {
    if (target.allowanceBytes === null || bytes <= 0) return null;
    const delivered = await this.unitOfWork.read(() => this.downloads.bytesDelivered(target.entitlementId));
    const running = this.running.get(target.entitlementId) ?? 0;
    const left = Math.max(0, target.allowanceBytes - delivered - running);
    if (bytes > left) {
      throw new ServiceException(
        DeliveryErrorCode.ALLOWANCE_EXHAUSTED,
        `This entitlement bought ${target.allowanceBytes / GIB} GiB (${target.allowanceBytes} bytes); ${delivered} bytes are delivered and ${running} are being downloaded, ` +
          `so ${left} are left and this request asks for ${bytes}. Ask for a Range of at most ${left} bytes, or buy more GiB.`,
      );
    }
    this.running.set(target.entitlementId, running + bytes);
    return { entitlementId: target.entitlementId, bytes };
  }

  /** Lets go of a download's hold: once its audit row is written, or when it never started. */
  releaseAllowance(hold: AllowanceHold): void {
    const left = (this.running.get(hold.entitlementId) ?? 0) - hold.bytes;
    if (left > 0) this.running.set(hold.entitlementId, left);
    else this.running.delete(hold.entitlementId);
  }

  /**
   * The entitlement's current row and the file. Requests for the same file that arrive while a
   * read is in flight (a download manager's parallel ranges) share that read instead of taking a
   * connection each; nothing is kept after it returns, so no answer is older than the request.
   */
  private currentTarget(ticket: DownloadTicket): Promise<DownloadTarget | null> {
    const key = JSON.stringify([ticket.entitlementId, ticket.versionId, ticket.path]);
    let read = this.inFlight.get(key);
    if (!read) {
      read = this.unitOfWork.read(() => this.downloads.target(ticket.entitlementId, ticket.versionId, ticket.path)).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, read);
    }
    return read;
  }

  /**
   * The audit row, written once the response has ended (not on the hot path), and for offers
   * sold per GiB the event billing meters usage from; then the download's allowance hold is
   * let go (the row counts its bytes now). Failures are logged: the bytes were sent.
   */
  async record(target: DownloadTarget, record: DownloadRecord, hold: AllowanceHold | null = null): Promise<void> {
    try {
      await this.unitOfWork.run(async (tx) => {
        await this.downloads.insert(record);
        if (target.allowanceBytes !== null) {
          await tx.publish(DeliveryEvents.downloadRecorded, {
            downloadId: record.id,
            entitlementId: record.entitlementId,
            orderId: target.orderId,
            organizationId: record.organizationId,
            pricingModel: target.pricingModel,
            datasetId: target.datasetId,
            versionId: record.versionId,
            path: record.path,
            bytes: record.bytesSent,
            startedAt: record.startedAt.toISOString(),
            finishedAt: record.finishedAt.toISOString(),
          });
        }
      });
    } catch (error) {
      this.logger.error({ err: error, entitlementId: record.entitlementId, path: record.path }, 'could not record a download');
    } finally {
      if (hold) this.releaseAllowance(hold);
    }
  }
}

/** Bytes of an allowance held for one running download. */
export interface AllowanceHold {
  entitlementId: string;
  bytes: number;
}

function invalidUrl(): ServiceException {
  return new ServiceException(DeliveryErrorCode.URL_INVALID, 'This URL was not signed by Trove for this file and entitlement, or it was changed.');
}
