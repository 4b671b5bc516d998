import { CommonErrorCode, DeliveryErrorCode, DeliveryEvents } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { checkUse } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { callerRefusal } from '../callers/caller-standing';
import { DeliveryConfig } from '../delivery.config';
import { currentStatus, refusal, statusRefusal } from '../entitlements/entitlement-standing';
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
    config: DeliveryConfig,
  ) {
    this.minWindow = config.DOWNLOAD_HOLD_MIN_WINDOW_BYTES;
  }

  /** The smallest window a download's hold grows by (DOWNLOAD_HOLD_MIN_WINDOW_BYTES). */
  private readonly minWindow: number;

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
    if (status !== 'active') throw statusRefusal(status);
    const decision = checkUse(target.terms, { use: 'download', grantedAt: target.grantedAt, at });
    if (!decision.permitted) throw refusal(decision.reason, decision.detail);
    return target;
  }

  /**
   * The limits a download counts against, checked and held in one go: the license's `seats`
   * (the API keys that downloaded or are downloading), its `downloadLimit` (downloads of the
   * file from its first byte, when `use.startsNew`, and the file's bytes: those delivered, those
   * held by its downloads still running and all this one may send must fit in `downloadLimit`
   * copies of the file and a margin for resumes, whatever the ranges) and, for an offer sold per
   * GiB, the bytes (those delivered, those held and all this one may send must fit in the GiB
   * bought). Running downloads are those of every replica: each holds its share in the database
   * (`download_hold`: its key's seat, one download of its file when it is a new one, the bytes it
   * may send so far when metered or under a download limit), and the counts and the new hold are
   * one transaction under a lock on the entitlement, so requests sent to several replicas at once
   * are admitted one after another and never pass a limit together. Refused:
   * DOWNLOAD_LIMIT_REACHED, SEATS_EXCEEDED or ALLOWANCE_EXHAUSTED, not one byte sent.
   *
   * The bytes are held a window at a time (`holdWindow`): the hold starts with the first
   * min(window, `use.bytes`) and grows by `extend` as they go out, so a download manager's
   * connections that each ask for the rest of the file hold what they send, not the rest of the
   * file each. A request that fits in one window costs this one transaction. Downloads running
   * at once count each other's whole claims (`usage`), so one admitted is never cut off later
   * by a limit: it ends early only where a later connection of its file and key starts.
   *
   * The hold lasts until `record` writes the download's audit row (then the row counts what was
   * sent), or `release` when the download never starts; while the download runs, this process
   * renews it, and a hold its process stopped renewing (the process died, or could not reach the
   * database) stops counting after HOLD_SECONDS. A request that sends no bytes (`use.bytes` 0:
   * a 416, an empty file) is checked against the same counts and holds nothing; a HEAD
   * (`use.probe`) is checked as the GET it describes, with that GET's bytes, and holds nothing. An
   * entitlement without seats, download limit or allowance: no check, no I/O, null.
   */
  async reserve(target: DownloadTarget, use: DownloadUse): Promise<DownloadHold | null> {
    const asked = askedOf(target, use);
    if (!asked) return null;
    if (use.bytes <= 0 || use.probe) {
      const usage = await this.unitOfWork.read(() => this.downloads.usage(target.entitlementId, asked));
      const refused = refusalOf(target, use, usage, use.probe ? use.bytes : 0);
      if (refused) throw refused;
      return null;
    }
    const counted = asked.bytes === true || asked.fileBytes !== undefined;
    const window = counted ? holdWindow(target.size, this.minWindow) : 0;
    const hold: DownloadHold = {
      id: randomUUID(),
      entitlementId: target.entitlementId,
      keyId: use.keyId,
      objectKey: target.key,
      newDownload: use.startsNew,
      rangeStart: use.start,
      admittedAt: new Date(),
      bytes: counted ? Math.min(use.bytes, window) : 0,
      length: use.bytes,
      window,
      counted: { ...(asked.bytes ? { bytes: true } : {}), ...(asked.fileBytes !== undefined ? { fileBytes: asked.fileBytes } : {}) },
    };
    await this.unitOfWork.run(async (tx) => {
      await this.downloads.lockLimits(hold.entitlementId, tx);
      // Its claim, the bytes it may take in all: what it asks for, up to where another running
      // download of its file and API key that asks for all the rest was served from (a download
      // manager's next connection), where `extend` stops it. Every running download counts its
      // whole claim (stored as its length, cut by each count where it stops then): a download
      // admitted on its first window and cut later where the limit ran out left the buyer a
      // truncated file with the allowance spent on it.
      const claim = counted ? await this.claimOf(hold) : 0;
      hold.bytes = Math.min(hold.bytes, claim);
      // Written first, so that the count sees the claims of the earlier connections of its file
      // and key stop where it starts; a refusal, thrown, takes it back with the transaction.
      await this.downloads.insertHold(hold, HOLD_SECONDS);
      const refused = refusalOf(target, use, await this.downloads.usage(hold.entitlementId, asked, hold.id), claim);
      if (refused) throw refused;
    });
    hold.renewal = setInterval(() => void this.renew(hold), HOLD_RENEW_MS).unref();
    return hold;
  }

  /**
   * Grows a running download's hold by its next window, in the same kind of transaction as
   * `reserve`: under the entitlement's lock, the bytes delivered, every hold (this one's
   * included) and the extension must fit in the file's copies and in the GiB bought. It gets
   * less than a window when less is left (it is then served up to the limit exactly), and never
   * reaches past the first byte another download of the same file and API key, running or ended
   * since this one was admitted, was served from when that one asked for all the rest of this
   * one's range: a download manager's next connection fetches those bytes, and closes this one
   * there (the sockets would have taken more, counted as sent).
   * True when granted (`hold.bytes` grew). False when nothing is left, when this download has
   * reached that byte, when its hold has lapsed (its renewals failed for HOLD_SECONDS, and other
   * downloads may since have taken its bytes) or when the database could not be reached: the
   * download then ends after the bytes it held, which the client sees as a cut-off answer; a
   * resume past the limit is answered DOWNLOAD_LIMIT_REACHED or ALLOWANCE_EXHAUSTED.
   */
  async extend(target: DownloadTarget, hold: DownloadHold): Promise<boolean> {
    const wanted = Math.min(hold.window, hold.length - hold.bytes);
    if (wanted <= 0 || hold.ended) return false;
    let outcome: { granted: number; left: number; before: number | null };
    try {
      outcome = await this.unitOfWork.run(async (tx) => {
        await this.downloads.lockLimits(hold.entitlementId, tx);
        // The others' claims as they stand, and what it holds itself: its own claim was counted
        // at its admission and by every admission since, so it grows within it; past it only
        // into what the others leave.
        const left = bytesLeft(target, await this.downloads.usage(hold.entitlementId, hold.counted, hold.id)) - hold.bytes;
        const next = await this.downloads.nextStartOfOthers(hold, hold.admittedAt);
        const before = next === null ? null : next - (hold.rangeStart + hold.bytes);
        const grant = Math.min(wanted, left, before ?? wanted);
        if (grant <= 0) return { granted: 0, left, before };
        return { granted: (await this.downloads.growHold(hold.id, grant, HOLD_SECONDS)) ? grant : 0, left, before };
      });
    } catch (error) {
      this.logger.warn({ err: error, entitlementId: hold.entitlementId, objectKey: hold.objectKey }, 'could not extend a download hold: the download ends here');
      return false;
    }
    const { granted, left, before } = outcome;
    if (granted > 0) {
      hold.bytes += granted;
      return true;
    }
    // The response closed meanwhile and `record` took the hold's place: nothing to say.
    if (hold.ended) return false;
    const about = { entitlementId: hold.entitlementId, objectKey: hold.objectKey, rangeStart: hold.rangeStart, held: hold.bytes, length: hold.length, left };
    if (before !== null && before <= 0) this.logger.debug(about, "a download reached the first byte of another of its key's downloads: it ends there");
    else if (left <= 0) this.logger.log(about, 'a download reached its limit: it ends after the bytes it held');
    else this.logger.warn(about, 'a download hold lapsed: the download ends after the bytes it held');
    return false;
  }

  /**
   * The bytes a download about to be admitted may send in all: its length, or less when another
   * running download of the same file and API key, asking for all the rest of its range, was
   * served from a byte inside it, since its hold never grows past that byte (`extend`). Run under
   * the entitlement's lock.
   */
  private async claimOf(hold: DownloadHold): Promise<number> {
    const next = await this.downloads.nextStartOfOthers(hold, hold.admittedAt);
    return next === null ? hold.length : Math.min(hold.length, next - hold.rangeStart);
  }

  /**
   * Lets go of the hold of a download that never started (its file could not be opened, its
   * client went away before the answer). Its hold stopped the earlier downloads of its file and
   * key where it starts, and letting go gives them back their claims past it. When that gives
   * back more than the limits have left (another download was admitted in the room the stop
   * made, or the stop cut two earlier downloads of one range, each by its own claim), its place
   * is kept instead by an audit row of no bytes sent (`audit`: who asked, for which file), which
   * goes on stopping them there: they end where the client that opened it meant them to, and
   * no admitted download is cut at the limit. Otherwise the hold is just deleted.
   */
  async release(hold: DownloadHold, target: DownloadTarget, audit: Pick<DownloadRecord, 'organizationId' | 'versionId' | 'path'>): Promise<void> {
    clearInterval(hold.renewal);
    try {
      await this.unitOfWork.run(async (tx) => {
        const counted = hold.counted.bytes === true || hold.counted.fileBytes !== undefined;
        if (!counted) return this.downloads.deleteHold(hold.id);
        await this.downloads.lockLimits(hold.entitlementId, tx);
        const before = bytesLeft(target, await this.downloads.usage(hold.entitlementId, hold.counted, hold.id));
        await this.downloads.deleteHold(hold.id);
        const after = bytesLeft(target, await this.downloads.usage(hold.entitlementId, hold.counted));
        if (after >= 0 || after >= before) return;
        await this.downloads.insert({
          id: randomUUID(),
          entitlementId: hold.entitlementId,
          keyId: hold.keyId,
          objectKey: hold.objectKey,
          rangeStart: hold.rangeStart,
          bytesAsked: hold.length,
          bytesSent: 0,
          complete: false,
          startedAt: hold.admittedAt,
          finishedAt: new Date(),
          ...audit,
        });
      });
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
    if (hold) {
      clearInterval(hold.renewal);
      hold.ended = true;
    }
    try {
      await this.unitOfWork.run(async (tx) => {
        await this.downloads.insert(record, hold?.id);
        if (target.perGib) {
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
  /** The first byte of the file it is served from (0 when it sends none). */
  start: number;
  /** The bytes the answer sends (for HEAD, those the GET it describes would send); 0 for a 416 or an empty file. */
  bytes: number;
  /**
   * A HEAD: checked as the GET it describes (a new download when served from the first byte, and
   * its bytes), so that it answers what that GET would, but holds nothing and counts nothing.
   */
  probe?: boolean;
}

/** What one running download holds (a `download_hold` row). */
export interface DownloadHold extends DownloadHoldRow {
  /** What `bytes` grows by at a time (`holdWindow`); 0 when no bytes are counted. */
  window: number;
  /** The bytes the entitlement's limits count for it: the GiB bought, the file's copies. */
  counted: UsageAsked;
  /** The timer that renews the row while the download runs. */
  renewal?: NodeJS.Timeout;
  /** Set once the download has ended and its audit row took the hold's place. */
  ended?: boolean;
}

/** What `use` counts against the target's limits; null when the entitlement has none. */
function askedOf(target: DownloadTarget, use: DownloadUse): UsageAsked | null {
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
  return asked;
}

/**
 * Whether the entitlement's limits, as they stand (nothing held), would refuse `keyId` a download
 * of the whole file from its first byte: for choosing, among a buyer's entitlements that cover a
 * file, one whose allowance and download limit can still serve it.
 */
export async function refusesWholeFile(target: DownloadTarget, keyId: string, usageOf: (entitlementId: string, asked: UsageAsked) => Promise<Usage>): Promise<boolean> {
  const use: DownloadUse = { keyId, startsNew: true, start: 0, bytes: target.size };
  const asked = askedOf(target, use);
  if (!asked) return false;
  return refusalOf(target, use, await usageOf(target.entitlementId, asked), target.size) !== null;
}

/** A mebibyte. */
const MIB = 1024 ** 2;

/**
 * The bytes a download's hold grows by at a time: a sixteenth of the file, at least
 * `minWindow` (1 MiB unless set otherwise: fewer transactions for small files) and at most
 * 8 MiB. Small enough that a download manager's 8 to 16 connections of one file, each holding
 * a window, fit in one copy of it, and that the window a stalled connection holds past what it
 * sent fits in the resume margin (at most 16 MiB): a resume from the bytes the client has is
 * admitted beside it. Large enough that a file costs about 16 short transactions, or one per
 * 8 MiB.
 */
export function holdWindow(size: number, minWindow = MIB): number {
  return Math.max(minWindow, Math.min(8 * MIB, Math.ceil(size / 16)));
}

/**
 * The refusal of `use`, which may send `claim` bytes in all (its length, or up to another
 * connection's first byte), given what the entitlement's limits count, or null when it fits.
 */
function refusalOf(target: DownloadTarget, use: DownloadUse, usage: Usage, claim: number): ServiceException | null {
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
    if (delivered + held + claim > bound) {
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
  if (delivered + held + claim <= allowance) return null;
  const left = Math.max(0, allowance - delivered - held);
  const more = `buy more${target.perGib ? ' GiB' : ''}`;
  return new ServiceException(
    DeliveryErrorCode.ALLOWANCE_EXHAUSTED,
    `This entitlement bought ${target.perGib ? `${allowance / GIB} GiB` : 'a share of the corpus'} (${allowance} bytes); ${delivered} bytes are delivered and ${held} are being downloaded, ` +
      `so ${left} are left and this request asks for ${use.bytes}. Nothing was sent or counted: ` +
      (left > 0 ? `ask for a Range of at most ${left} bytes, or ${more}.` : `${more}.`),
  );
}

/**
 * The bytes the entitlement's limits leave for running downloads' holds to grow by: of the
 * file's copies under `downloadLimit`, of the GiB bought; the smaller of the two when both apply.
 */
function bytesLeft(target: DownloadTarget, usage: Usage): number {
  let left = Number.MAX_SAFE_INTEGER;
  const limit = target.terms.downloadLimit;
  if (limit != null && usage.fileDeliveredBytes !== undefined && usage.fileHeldBytes !== undefined) {
    left = Math.min(left, fileBytesAllowed(limit, target.size) - usage.fileDeliveredBytes - usage.fileHeldBytes);
  }
  if (target.allowanceBytes !== null && usage.deliveredBytes !== undefined && usage.heldBytes !== undefined) {
    left = Math.min(left, target.allowanceBytes - usage.deliveredBytes - usage.heldBytes);
  }
  return left;
}

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
