import { CommonErrorCode, DeliveryErrorCode, DeliveryEvents } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { checkUse } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { callerRefusal } from '../callers/caller-standing';
import { currentStatus, refusal } from '../entitlements/entitlements.service';
import { UrlSigner, type UrlSignature } from '../signing/url-signer';
import { DownloadRepository, GIB, type DownloadHoldRow, type DownloadRecord, type DownloadTarget, type Usage, type UsageAsked } from './download.repository';
import { downloadGrant, type DownloadTicket } from './download-ticket';

/**
 * The checks of each download request, in the order that costs least: the signature and expiry
 * (no I/O), then one indexed read of the entitlement's current row, the file and the caller's
 * standing (its API key revoked, its organization suspended), then the
 * license's limits and the per-GiB allowance, counted in the database with the downloads still
 * running. Every refusal is a 403 and not one byte.
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
   * The signature, the caller (its organization suspended or its key revoked since the URL was
   * signed), the entitlement (current row, organization, status) and the license's term;
   * the limits that count downloads are `reserve`'s, once the range to serve is known.
   */
  async admit(parsed: { ticket: DownloadTicket; signature: UrlSignature } | null, now = Date.now()): Promise<DownloadTarget> {
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
    const refusedCaller = callerRefusal(target);
    if (refusedCaller) throw refusedCaller;
    const at = new Date(now);
    const status = currentStatus(target, at);
    if (status === 'revoked') throw new ServiceException(DeliveryErrorCode.ENTITLEMENT_REVOKED, 'This entitlement was revoked (the order was refunded).');
    if (status === 'expired') throw new ServiceException(DeliveryErrorCode.ENTITLEMENT_EXPIRED, 'This entitlement has expired: its license term or subscription ended.');
    const decision = checkUse(target.terms, { use: 'download', grantedAt: target.grantedAt, at });
    if (!decision.permitted) throw refusal(decision.reason, decision.detail);
    return target;
  }

  /**
   * The limits a download counts against, checked and held in one go: the license's `seats`
   * (the API keys that downloaded or are downloading), its `downloadLimit` (downloads of the
   * file from its first byte, when `use.startsNew`, and the file's bytes: those delivered, those
   * of its downloads still running and these must fit in `downloadLimit` copies of the file and
   * a margin for resumes, whatever the ranges) and, for an offer sold per GiB, the bytes
   * (those delivered, those of downloads still running and these must fit in the GiB bought).
   * Running downloads are those of every replica: each holds its share in the database
   * (`download_hold`: its key's seat, one download of its file when it is a new one, its bytes
   * when metered or under a download limit), and the counts and the new hold are one transaction under a lock on the
   * entitlement, so requests sent to several replicas at once are admitted one after another and
   * never pass a limit together. Refused: DOWNLOAD_LIMIT_REACHED, SEATS_EXCEEDED or
   * ALLOWANCE_EXHAUSTED, not one byte sent.
   *
   * The hold lasts until `record` writes the download's audit row (then the row counts what it
   * held), or `release` when the download never starts; while the download runs, this process
   * renews it, and a hold its process stopped renewing (the process died, or could not reach the
   * database) stops counting after HOLD_SECONDS. A request that sends no bytes (`use.bytes` 0:
   * HEAD, 416, an empty file) is checked against the same counts and holds nothing. An
   * entitlement without seats, download limit or allowance: no check, no I/O, null.
   */
  async reserve(target: DownloadTarget, use: DownloadUse): Promise<DownloadHold | null> {
    const terms = target.terms;
    const metered = target.allowanceBytes !== null && use.bytes > 0;
    // Under a downloadLimit every request that sends bytes counts them against the file's copies,
    // a range from the middle as much as one from byte 0: ranges cannot add up to more copies.
    const fileBytes = terms.downloadLimit != null && use.bytes > 0;
    const asked: UsageAsked = {
      ...(terms.seats !== null ? { keyId: use.keyId } : {}),
      ...(use.startsNew && terms.downloadLimit != null ? { objectKey: target.key } : {}),
      ...(metered ? { bytes: true } : {}),
      ...(fileBytes ? { fileBytes: target.key } : {}),
    };
    if (asked.keyId === undefined && asked.objectKey === undefined && !asked.bytes && asked.fileBytes === undefined) return null;
    if (use.bytes <= 0) {
      const usage = await this.unitOfWork.read(() => this.downloads.usage(target.entitlementId, asked));
      const refused = refusalOf(target, use, usage);
      if (refused) throw refused;
      return null;
    }
    const hold: DownloadHold = {
      id: randomUUID(),
      entitlementId: target.entitlementId,
      keyId: use.keyId,
      objectKey: target.key,
      newDownload: use.startsNew,
      bytes: metered || fileBytes ? use.bytes : 0,
    };
    const refused = await this.unitOfWork.run(async (tx) => {
      await this.downloads.lockLimits(hold.entitlementId, tx);
      const refused = refusalOf(target, use, await this.downloads.usage(hold.entitlementId, asked));
      if (!refused) await this.downloads.insertHold(hold, HOLD_SECONDS);
      return refused;
    });
    if (refused) throw refused;
    hold.renewal = setInterval(() => void this.renew(hold), HOLD_RENEW_MS).unref();
    return hold;
  }

  /** Lets go of the hold of a download that never started (its file could not be opened). */
  async release(hold: DownloadHold): Promise<void> {
    clearInterval(hold.renewal);
    try {
      await this.unitOfWork.run(() => this.downloads.deleteHold(hold.id));
    } catch (error) {
      // The hold stops counting when it expires.
      this.logger.warn({ err: error, entitlementId: hold.entitlementId }, 'could not let go of a download hold');
    }
  }

  /** Keeps a running download's hold from expiring. */
  private async renew(hold: DownloadHold): Promise<void> {
    try {
      await this.unitOfWork.run((tx) => this.downloads.renewHold(hold.id, HOLD_SECONDS, tx));
    } catch (error) {
      this.logger.warn({ err: error, entitlementId: hold.entitlementId }, 'could not renew a download hold');
    }
  }

  /**
   * The entitlement's current row, the file and the caller's standing. Requests of one API key
   * for the same file that arrive while a read is in flight (a download manager's parallel
   * ranges) share that read instead of taking a connection each; nothing is kept after it
   * returns, so no answer is older than the request.
   */
  private currentTarget(ticket: DownloadTicket): Promise<DownloadTarget | null> {
    const key = JSON.stringify([ticket.entitlementId, ticket.versionId, ticket.path, ticket.caller.keyId]);
    let read = this.inFlight.get(key);
    if (!read) {
      read = this.unitOfWork
        .read(() => this.downloads.target(ticket.entitlementId, ticket.versionId, ticket.path, ticket.caller.keyId))
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, read);
    }
    return read;
  }

  /**
   * The audit row, written once the response has ended (not on the hot path), and for offers
   * sold per GiB the event billing meters usage from. The download's hold is deleted by the
   * statement that writes the row: no moment counts its bytes, seat or download twice or not at
   * all. Failures are logged: the bytes were sent (a hold left behind stops counting when it
   * expires).
   */
  async record(target: DownloadTarget, record: DownloadRecord, hold: DownloadHold | null = null): Promise<void> {
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

/** What one request would take under its entitlement's limits. */
export interface DownloadUse {
  /** The API key asking: it takes one of the license's seats. */
  keyId: string;
  /** Served from the file's first byte: a new download, which downloadLimit counts. */
  startsNew: boolean;
  /** The bytes the answer sends; 0 for HEAD, a 416 or an empty file, which hold nothing. */
  bytes: number;
}

/** What one running download holds (a `download_hold` row). */
export interface DownloadHold extends DownloadHoldRow {
  /** The timer that renews the row while the download runs. */
  renewal?: NodeJS.Timeout;
}

/** The refusal of `use` given what the entitlement's limits count, or null when it fits. */
function refusalOf(target: DownloadTarget, use: DownloadUse, usage: Usage): ServiceException | null {
  const decision = checkUse(target.terms, {
    use: 'download',
    ...(usage.seatsInUse !== undefined ? { seatsInUse: usage.seatsInUse } : {}),
    ...(usage.downloadsSoFar !== undefined ? { downloadsSoFar: usage.downloadsSoFar } : {}),
  });
  if (!decision.permitted) return refusal(decision.reason, decision.detail);
  const limit = target.terms.downloadLimit;
  if (limit != null && usage.fileDeliveredBytes !== undefined && usage.fileHeldBytes !== undefined) {
    const { fileDeliveredBytes: delivered, fileHeldBytes: held } = usage;
    const bound = fileBytesAllowed(limit, target.size);
    if (delivered + held + use.bytes > bound) {
      const left = Math.max(0, bound - delivered - held);
      return refusal(
        'DOWNLOAD_LIMIT_REACHED',
        `the license allows ${limit} ${limit === 1 ? 'copy' : 'copies'} of this file of ${target.size} bytes, ${bound} bytes with the margin for resumes; ` +
          `${delivered} bytes of it are delivered and ${held} are being downloaded, so ${left} bytes of the file remain and this request asks for ${use.bytes}` +
          (left > 0 ? `. Ask for a Range of at most ${left} bytes` : ''),
      );
    }
  }
  const allowance = target.allowanceBytes;
  if (allowance === null || usage.deliveredBytes === undefined || usage.heldBytes === undefined) return null;
  const { deliveredBytes: delivered, heldBytes: held } = usage;
  if (delivered + held + use.bytes <= allowance) return null;
  const left = Math.max(0, allowance - delivered - held);
  return new ServiceException(
    DeliveryErrorCode.ALLOWANCE_EXHAUSTED,
    `This entitlement bought ${allowance / GIB} GiB (${allowance} bytes); ${delivered} bytes are delivered and ${held} are being downloaded, ` +
      `so ${left} are left and this request asks for ${use.bytes}. Ask for a Range of at most ${left} bytes, or buy more GiB.`,
  );
}

/** A mebibyte. */
const MIB = 1024 ** 2;

/**
 * The bytes of one file an entitlement may be sent under `downloadLimit`: that many copies, and
 * a margin for resumes after a broken connection (the server counts the bytes the socket took,
 * which may be some MB more than the client received): a tenth of the file, at most 16 MiB.
 */
export function fileBytesAllowed(downloadLimit: number, size: number): number {
  return downloadLimit * size + Math.min(16 * MIB, Math.floor(size / 10));
}

function invalidUrl(): ServiceException {
  return new ServiceException(DeliveryErrorCode.URL_INVALID, 'This URL was not signed by Trove for this file and entitlement, or it was changed.');
}
