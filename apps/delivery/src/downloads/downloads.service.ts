import { CommonErrorCode, DeliveryErrorCode, DeliveryEvents } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { checkUse } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { currentStatus, refusal } from '../entitlements/entitlements.service';
import { UrlSigner, type UrlSignature } from '../signing/url-signer';
import { DownloadRepository, GIB, type AllowanceHoldRow, type DownloadRecord, type DownloadTarget } from './download.repository';
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

  constructor(
    private readonly signer: UrlSigner,
    private readonly downloads: DownloadRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * `startsNewDownload` says, for the file as it is now, whether this request is a new download
   * (it is served from the file's first byte): the caller reads it from the range it will serve,
   * never from the Range header's text, which has many spellings of the same range.
   */
  async admit(
    parsed: { ticket: DownloadTicket; signature: UrlSignature } | null,
    startsNewDownload: boolean | ((target: DownloadTarget) => boolean),
    now = Date.now(),
  ): Promise<DownloadTarget> {
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
    const startsNew = typeof startsNewDownload === 'function' ? startsNewDownload(target) : startsNewDownload;
    const countDownloads = startsNew && terms.downloadLimit != null;
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
   * one byte sent) when the bytes already delivered, the bytes of downloads still running and
   * these would together pass the GiB bought. The running downloads are those of every replica:
   * each holds its bytes in the database (`download_hold`), and the check and the new hold are one
   * transaction under a lock on the entitlement, so requests sent to several replicas at once are
   * admitted one after another and never pass the allowance together. The hold lasts until
   * `record` writes the download's audit row (then the row counts its bytes), or
   * `releaseAllowance` when the download never starts; while the download runs, this process
   * renews it, and a hold its process stopped renewing (the process died, or could not reach the
   * database) stops counting after HOLD_SECONDS. Other offers: no check, no I/O, null.
   */
  async reserveAllowance(target: DownloadTarget, bytes: number): Promise<AllowanceHold | null> {
    const allowance = target.allowanceBytes;
    if (allowance === null || bytes <= 0) return null;
    const hold: AllowanceHold = { id: randomUUID(), entitlementId: target.entitlementId, bytes };
    const used = await this.unitOfWork.run(async (tx) => {
      await this.downloads.lockAllowance(hold.entitlementId, tx);
      return this.downloads.holdIfFits(hold, allowance, HOLD_SECONDS);
    });
    if (!used.admitted) {
      const left = Math.max(0, allowance - used.delivered - used.held);
      throw new ServiceException(
        DeliveryErrorCode.ALLOWANCE_EXHAUSTED,
        `This entitlement bought ${allowance / GIB} GiB (${allowance} bytes); ${used.delivered} bytes are delivered and ${used.held} are being downloaded, ` +
          `so ${left} are left and this request asks for ${bytes}. Ask for a Range of at most ${left} bytes, or buy more GiB.`,
      );
    }
    hold.renewal = setInterval(() => void this.renew(hold), HOLD_RENEW_MS).unref();
    return hold;
  }

  /** Lets go of the hold of a download that never started (its file could not be opened). */
  async releaseAllowance(hold: AllowanceHold): Promise<void> {
    clearInterval(hold.renewal);
    try {
      await this.unitOfWork.run(() => this.downloads.deleteHold(hold.id));
    } catch (error) {
      // The hold stops counting when it expires.
      this.logger.warn({ err: error, entitlementId: hold.entitlementId }, 'could not let go of an allowance hold');
    }
  }

  /** Keeps a running download's hold from expiring. */
  private async renew(hold: AllowanceHold): Promise<void> {
    try {
      await this.unitOfWork.run((tx) => this.downloads.renewHold(hold.id, HOLD_SECONDS, tx));
    } catch (error) {
      this.logger.warn({ err: error, entitlementId: hold.entitlementId }, 'could not renew an allowance hold');
    }
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
   * sold per GiB the event billing meters usage from. The download's allowance hold is deleted
   * by the statement that writes the row: no moment counts its bytes twice or not at all. Failures
   * are logged: the bytes were sent (a hold left behind stops counting when it expires).
   */
  async record(target: DownloadTarget, record: DownloadRecord, hold: AllowanceHold | null = null): Promise<void> {
    if (hold) clearInterval(hold.renewal);
    try {
      await this.unitOfWork.run(async (tx) => {
        await this.downloads.insert(record, hold?.id);
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
    }
  }
}

/**
 * How long a download's hold counts without being renewed: how long a buyer whose download's
 * process died waits before those bytes can be asked for again.
 */
export const HOLD_SECONDS = 120;
/** How often a running download renews its hold: several renewals may fail before it lapses. */
const HOLD_RENEW_MS = 30_000;

/** Bytes of an allowance held for one running download (a `download_hold` row). */
export interface AllowanceHold extends AllowanceHoldRow {
  /** The timer that renews the row while the download runs. */
  renewal?: NodeJS.Timeout;
}

function invalidUrl(): ServiceException {
  return new ServiceException(DeliveryErrorCode.URL_INVALID, 'This URL was not signed by Trove for this file and entitlement, or it was changed.');
}
