import {
  BillingEvents,
  CatalogEvents,
  CommonErrorCode,
  DeliveryErrorCode,
  DeliveryEvents,
  DeliverySubjects,
  OrderingEvents,
  DIFF_PAGE_DEFAULT,
  RECIPIENT_DOWNLOAD_GROUPS,
  type DatasetRecipient,
  type DatasetRecipients,
  type DatasetRecipientsRequest,
  type DiffFile,
  type DiffVersionsRequest,
  type EntitlementAllowance,
  type EntitlementList,
  type EntitlementView,
  type GetManifestRequest,
  type ListEntitlementsRequest,
  type LocateFileRequest,
  type LocatedFile,
  type ManifestFile,
  type ManifestPage,
  type OrderPaidV1,
  type OrderRefundedV1,
  type SubscriptionLapsedV1,
  type VersionDiff,
  type VersionReleased,
} from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { MAX_FILE_PATH_BYTES } from '@trove/dataset';
import { checkUse, licenseEndsAt } from '@trove/licensing';
import { EventHandler, RpcHandler, UnitOfWork, type EventContext, type RpcContext } from '@trove/messaging';
import { cursorScopeTag, decodeCursor, DEFAULT_PAGE_SIZE, ServiceException, toPage, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { CallerStatusRepository } from '../callers/caller-status.repository';
import { callerRefusal } from '../callers/caller-standing';
import { DeliveryConfig } from '../delivery.config';
import { DownloadRepository, GIB } from '../downloads/download.repository';
import { downloadGrant, downloadUrl, type DownloadTicket } from '../downloads/download-ticket';
import { refusesWholeFile } from '../downloads/downloads.service';
import { ManifestSigner } from '../manifests/manifest-signer';
import { VersionRoots } from '../manifests/version-roots';
import { UrlSigner, urlExpiry } from '../signing/url-signer';
import { EntitlementRepository, type Entitlement, type VersionFile } from './entitlement.repository';
import { currentStatus, refusal, statusRefusal } from './entitlement-standing';

/**
 * Entitlements: granted on `order.paid` (one per line, with its terms), extended to each version
 * released while a subscription lives, revoked on `order.refunded`, expired at the end of the
 * term or when billing lets the subscription lapse. Buyers list them, read their manifests
 * (fresh signed URLs, checked against the terms) and diff their versions.
 */
@Injectable()
export class EntitlementsService {
  private readonly logger = new Logger('Entitlements');

  constructor(
    private readonly config: DeliveryConfig,
    private readonly entitlements: EntitlementRepository,
    private readonly downloads: DownloadRepository,
    private readonly callers: CallerStatusRepository,
    private readonly signer: UrlSigner,
    private readonly manifestSigner: ManifestSigner,
    private readonly versionRoots: VersionRoots,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  // ---- the saga: one consumer for an order's events, so a refund applies after its payment ----

  @EventHandler(OrderingEvents.orderPaid, { consumer: 'order-entitlements' })
  async paid(order: OrderPaidV1, { tx }: EventContext<OrderPaidV1>): Promise<void> {
    const paidAt = new Date(order.paidAt);
    const ids: string[] = [];
    for (const line of order.lines) {
      const id = randomUUID();
      // One statement per line. A version released between the order's snapshot and now belongs
      // to a subscriber too: the insert also covers the dataset's versions released since the
      // snapshot's newest (since `paidAt` when delivery knows none of the snapshot's releases).
      const entitlement = {
        id,
        orderId: order.orderId,
        lineId: line.lineId,
        buyerOrganizationId: order.buyerOrganizationId,
        datasetId: line.datasetId,
        offerId: line.offerId,
        licenseTemplate: line.licenseTemplate,
        terms: line.terms,
        termsSha256: line.termsSha256,
        pricing: await this.pricingOf(line),
        coversFutureVersions: line.coversFutureVersions,
        grantedAt: licenseStart(line.termStartsAt, paidAt),
        // An exclusive license's term runs from its sale's start, the order's placement; a
        // renewal's from the end of the terms its buyer paid for before.
        expiresAt: line.termEndsAt ? new Date(line.termEndsAt) : licenseEndsAt(line.terms, line.termStartsAt ? new Date(line.termStartsAt) : paidAt),
        versionIds: [...new Set(line.versionIds)],
      };
      const inserted = await this.entitlements.insert(entitlement, line.coversFutureVersions ? paidAt : null);
      if (inserted) ids.push(id);
    }
    if (ids.length > 0) await tx.publish(DeliveryEvents.entitlementGranted, { orderId: order.orderId, entitlementIds: ids });
  }

  /**
   * The line's pricing as the entitlement keeps it. A metered line bought in part, not per GiB
   * (10 hours `of` a 1,000-hour corpus), is allowed that share of the corpus as the versions it
   * covers hold it, rounded up: a file counts in the newest version holding its path and its
   * contents (`corpusBytesOf`). Nothing at download tells an hour from another, so the bytes
   * stand for them, as they do for the GiB bought. The versions added together let a buyer of 2
   * documents in 10 of a listing released five times take a whole edition. A line that bought the whole, or one whose listing stated no
   * volume, downloads every file, as before.
   */
  private async pricingOf(line: OrderPaidV1['lines'][number]): Promise<Entitlement['pricing']> {
    const { model, unit, quantity, of } = line.pricing;
    if (model !== 'metered' || unit === 'gib' || quantity === undefined || of === undefined || quantity >= of) return line.pricing;
    // The line lists its versions as the catalog released them, oldest first.
    const total = await this.entitlements.corpusBytesOf(line.datasetId, [...new Set(line.versionIds)]);
    const share = (total * BigInt(quantity) + BigInt(of) - 1n) / BigInt(of);
    return { ...line.pricing, allowanceBytes: Number(share) };
  }

  @EventHandler(OrderingEvents.orderRefunded, { consumer: 'order-entitlements' })
  async refunded(refund: OrderRefundedV1, { tx }: EventContext<OrderRefundedV1>): Promise<void> {
    const now = new Date();
    // Also one that ended already (a subscription that lapsed before its refund): a refunded
    // license reads as taken back, not as one that ran its course. It ended when it ended.
    for (const entitlement of await this.entitlements.unrevokedOfOrderForUpdate(refund.orderId)) {
      await this.entitlements.end(entitlement.id, 'revoked', entitlement.endedAt ?? now);
      await tx.publish(DeliveryEvents.entitlementEnded, { entitlementId: entitlement.id, orderId: entitlement.orderId, status: 'revoked' });
    }
  }

  @EventHandler(BillingEvents.subscriptionLapsed, { consumer: 'subscription-entitlements' })
  async lapsed(lapse: SubscriptionLapsedV1, { tx }: EventContext<SubscriptionLapsedV1>): Promise<void> {
    const now = new Date();
    for (const entitlement of await this.entitlements.activeOfOrderForUpdate(lapse.orderId)) {
      if (entitlement.lineId !== lapse.lineId) continue;
      await this.entitlements.end(entitlement.id, 'expired', now);
      await tx.publish(DeliveryEvents.entitlementEnded, { entitlementId: entitlement.id, orderId: entitlement.orderId, status: 'expired' });
    }
  }

  @EventHandler(CatalogEvents.versionReleased, { consumer: 'catalog-releases' })
  async released(release: VersionReleased, { tx }: EventContext<VersionReleased>): Promise<void> {
    const releasedAt = new Date(release.releasedAt);
    await this.entitlements.recordRelease({
      versionId: release.versionId,
      datasetId: release.datasetId,
      version: release.version,
      releasedAt,
      fileCount: release.fileCount,
      totalBytes: release.totalBytes,
    });
    for (const entitlement of await this.entitlements.subscribersForUpdate(release.datasetId, releasedAt)) {
      if (!(await this.entitlements.addVersion(entitlement.id, release.versionId))) continue;
      await tx.publish(DeliveryEvents.entitlementVersionAdded, {
        entitlementId: entitlement.id,
        orderId: entitlement.orderId,
        buyerOrganizationId: entitlement.buyerOrganizationId,
        datasetId: entitlement.datasetId,
        versionId: release.versionId,
        version: release.version,
      });
      this.logger.log(`version ${release.version} of dataset ${release.datasetId} delivered to subscription ${entitlement.id}`);
    }
  }

  // ---- what buyers ask, through the gateway ----

  /** A page of the caller's entitlements, newest first, as every list pages: a keyset cursor over (granted_at, id). */
  @RpcHandler(DeliverySubjects.listEntitlements)
  async list(request: ListEntitlementsRequest, context: RpcContext): Promise<EntitlementList> {
    const caller = requireCaller(context);
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const scope = `entitlements|${caller.organizationId}|${request.status ?? '*'}`;
    const after = decodeCursor(request.cursor, scope);
    // One instant for the filter and the statuses shown, so a term ending mid-request cannot put
    // an `expired` item on a page of `?status=active`.
    const now = new Date();
    const { rows, delivered } = await this.unitOfWork.read(async () => {
      const rows = await this.entitlements.pageForBuyer(caller.organizationId, { status: request.status, at: now }, limit + 1, after);
      const delivered = await this.downloads.bytesDeliveredEach(rows.slice(0, limit).filter(soldByBytes).map((row) => row.id));
      return { rows, delivered };
    });
    return toPage(rows, limit, (row) => ({ at: row.grantedAt, id: row.id }), (row) => view(row, now, delivered.get(row.id) ?? 0), scope);
  }

  /**
   * Who received a dataset, for its vendor or an operator (the catalog checked that the caller
   * owns the listing before asking): every entitlement granted on it, newest first, as every list
   * pages, each with its buyer's downloads per API key and version, the most recent first.
   */
  @RpcHandler(DeliverySubjects.datasetRecipients)
  async recipients(request: DatasetRecipientsRequest, context: RpcContext): Promise<DatasetRecipients> {
    const caller = requireCaller(context);
    if (caller.role !== 'vendor' && caller.role !== 'admin') throw new ServiceException(CommonErrorCode.FORBIDDEN, "Only the listing's vendor and operators see who received it.");
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const scope = `recipients|${request.datasetId}|${request.versionId ?? '*'}`;
    const after = decodeCursor(request.cursor, scope);
    const now = new Date();
    const { rows, groups } = await this.unitOfWork.read(async () => {
      const rows = await this.entitlements.pageForDataset(request.datasetId, request.versionId, limit + 1, after);
      const groups = await this.downloads.groupsEach(rows.slice(0, limit).map((row) => row.id), request.versionId, RECIPIENT_DOWNLOAD_GROUPS);
      return { rows, groups };
    });
    return toPage(rows, limit, (row) => ({ at: row.grantedAt, id: row.id }), (row): DatasetRecipient => {
      const downloaded = groups.get(row.id);
      return {
        entitlementId: row.id,
        orderId: row.orderId,
        buyerOrganizationId: row.buyerOrganizationId,
        status: currentStatus(row, now),
        grantedAt: row.grantedAt.toISOString(),
        versionIds: row.versionIds,
        downloads: downloaded?.groups ?? [],
        moreDownloads: downloaded ? downloaded.total - downloaded.groups.length : 0,
      };
    }, scope);
  }

  @RpcHandler(DeliverySubjects.getManifest)
  async manifest(request: GetManifestRequest, context: RpcContext): Promise<ManifestPage> {
    return this.manifestFor(request.id, requireCaller(context), { cursor: request.cursor });
  }

  /**
   * One file of a version by its path, with a fresh signed URL, for a buyer whose entitlement
   * covers the version, checked as a manifest is (the caller's standing, revoked or expired, the
   * license's term and seats). A buyer holding several such entitlements gets the newest that
   * permits the download and whose byte limits (GiB or share bought, downloadLimit) can still
   * hold the whole file; failing that, the newest that permits it (its download then says what
   * is left); when none does, the newest one's refusal. A file, version or dataset
   * the caller's entitlements do not cover is NOT_FOUND, whoever else may have it.
   */
  @RpcHandler(DeliverySubjects.locateFile)
  async locate(request: LocateFileRequest, context: RpcContext, now = Date.now()): Promise<LocatedFile> {
    const caller = requireCaller(context);
    return this.unitOfWork.read(async () => {
      const refusedCaller = callerRefusal(await this.callers.standing(caller.keyId, caller.organizationId));
      if (refusedCaller) throw refusedCaller;
      const at = new Date(now);
      const covering = await this.entitlements.coveringVersion(caller.organizationId, request.datasetId, request.versionId);
      const file = covering.length > 0 ? await this.entitlements.fileAt(request.datasetId, request.versionId, request.path) : null;
      if (!file) {
        throw new ServiceException(CommonErrorCode.NOT_FOUND, `No file "${request.path}" in version ${request.versionId} of dataset ${request.datasetId} under an entitlement of yours.`);
      }
      let refused: ServiceException | undefined;
      // Permitted, but its GiB, share or download limit cannot hold the file any more: sent there
      // only when no other entitlement can serve it, and the download then says what is left.
      let spent: LocatedFile | undefined;
      for (const entitlement of covering) {
        const status = currentStatus(entitlement, at);
        if (status !== 'active') {
          refused ??= statusRefusal(status);
          continue;
        }
        const seatsInUse = entitlement.terms.seats !== null ? await this.downloads.seatsWith(entitlement.id, caller.keyId) : undefined;
        const decision = checkUse(entitlement.terms, { use: 'download', grantedAt: entitlement.grantedAt, at, ...(seatsInUse !== undefined ? { seatsInUse } : {}) });
        if (!decision.permitted) {
          refused ??= refusal(decision.reason, decision.detail);
          continue;
        }
        const expires = urlExpiry(now, this.config.DOWNLOAD_URL_TTL_SECONDS, caller);
        const located = { entitlementId: entitlement.id, versionId: file.versionId, ...this.signedFile(entitlement.id, file, caller, expires) };
        if (!(await this.cannotHold(entitlement, file, caller.keyId))) return located;
        spent ??= located;
      }
      if (spent) return spent;
      throw refused!;
    });
  }

  /**
   * Whether the entitlement's byte limits (the GiB or share bought, the file's downloadLimit)
   * would refuse the caller the whole file now. An entitlement with neither costs no query.
   */
  private async cannotHold(entitlement: Entitlement, file: VersionFile, keyId: string): Promise<boolean> {
    if (entitlement.terms.downloadLimit == null && entitlement.pricing.model !== 'metered') return false;
    const target = await this.downloads.target(entitlement.id, file.versionId, file.path, keyId);
    return target !== null && (await refusesWholeFile(target, keyId, (id, asked) => this.downloads.usage(id, asked)));
  }

  /** A file as a manifest lists it: its path, size and SHA-256, and a URL signed for the caller until `expires` (Unix seconds). */
  private signedFile(entitlementId: string, file: VersionFile, caller: Caller, expires: number): ManifestFile {
    const ticket: DownloadTicket = { entitlementId, versionId: file.versionId, path: file.path, caller: { organizationId: caller.organizationId, keyId: caller.keyId }, expires };
    const url = downloadUrl(this.config.publicUrl(), ticket, this.signer.sign(downloadGrant(ticket)));
    return { path: file.path, size: file.size, sha256: file.sha256, url, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /**
   * One page of the differences between two versions the entitlement covers, in path order:
   * `limit` entries at most (added, removed and changed together) within DIFF_PAGE_BYTES of
   * JSON, from the path after the cursor on. Each page checks the entitlement again and reads
   * only the paths it goes through, a window of each version at a time (`diffWindow`); a long
   * run of unchanged files ends a page after DIFF_PAGE_WALK files of each version, so no page
   * outlasts the gateway's wait, and the next page goes on from there.
   */
  @RpcHandler(DeliverySubjects.diffVersions)
  async diff(request: DiffVersionsRequest, context: RpcContext): Promise<VersionDiff> {
    return this.diffPage(request, requireCaller(context));
  }

  async diffPage(
    request: DiffVersionsRequest,
    caller: Caller,
    { pageBytes = DIFF_PAGE_BYTES, walk = DIFF_PAGE_WALK, windowRows = DIFF_WINDOW_ROWS }: { pageBytes?: number; walk?: number; windowRows?: number } = {},
  ): Promise<VersionDiff> {
    const limit = request.limit ?? DIFF_PAGE_DEFAULT;
    return this.unitOfWork.read(async () => {
      const entitlement = await this.owned(request.id, caller);
      // What a refunded or ended entitlement covered is no longer the buyer's to read.
      assertCurrent(entitlement, new Date());
      for (const versionId of [request.from, request.to]) {
        if (!entitlement.versionIds.includes(versionId)) {
          throw new ServiceException(CommonErrorCode.NOT_FOUND, `Version ${versionId} is not covered by entitlement ${entitlement.id}.`);
        }
      }
      // After the checks: what the caller may not see is 404 whatever cursor it sends.
      const after = request.cursor === undefined ? null : decodeDiffCursor(request, request.cursor);
      const diff: VersionDiff = { from: request.from, to: request.to, added: [], removed: [], changed: [], nextCursor: null };
      let entries = 0;
      let used = Buffer.byteLength(JSON.stringify(diff));
      let position = after;
      for (let walked = 0; ; walked += windowRows) {
        if (walked >= walk) return { ...diff, nextCursor: encodeDiffCursor(request, position!) };
        // A difference more than the page takes says whether the page ends before the last one.
        const window = await this.entitlements.diffWindow(entitlement.datasetId, { from: request.from, to: request.to }, position, windowRows, limit - entries + 1);
        for (const difference of window.differences) {
          // The page is full: the next one starts after the last path listed.
          if (entries === limit) return { ...diff, nextCursor: encodeDiffCursor(request, position!) };
          const entry = difference.from && difference.to ? { path: difference.path, from: difference.from, to: difference.to } : (difference.from ?? difference.to)!;
          const bytes = Buffer.byteLength(JSON.stringify(entry)) + 1;
          if (entries > 0 && used + bytes > pageBytes) return { ...diff, nextCursor: encodeDiffCursor(request, position!) };
          if (!difference.from) diff.added.push(entry as DiffFile);
          else if (!difference.to) diff.removed.push(entry as DiffFile);
          else diff.changed.push(entry as VersionDiff['changed'][number]);
          used += bytes;
          entries++;
          position = difference.path;
        }
        // Both versions read to their end: the last page.
        if (window.last === null) return diff;
        position = window.last;
        if (entries === limit) return { ...diff, nextCursor: encodeDiffCursor(request, position) };
      }
    });
  }

  /**
   * One page of the entitlement's manifest: the files of its versions in order (version by
   * version, each by path), each with a fresh signed URL, as many as fit in `pageBytes` of JSON
   * (always one at least). The first page also has every version with its Merkle root (kept once
   * computed, see VersionRoots) and a fresh signature. Every page reads only its own files, from
   * the position its cursor names, and checks the entitlement and the caller again.
   */
  async manifestFor(id: string, caller: Caller, { cursor, now = Date.now(), pageBytes = MANIFEST_PAGE_BYTES }: { cursor?: string; now?: number; pageBytes?: number } = {}): Promise<ManifestPage> {
    const after = cursor === undefined ? undefined : decodeManifestCursor(cursor);
    return this.unitOfWork.read(async () => {
      const entitlement = await this.owned(id, caller);
      // The gateway refuses these callers already; delivery signs nothing for them either.
      const refusedCaller = callerRefusal(await this.callers.standing(caller.keyId, caller.organizationId));
      if (refusedCaller) throw refusedCaller;
      const at = new Date(now);
      assertCurrent(entitlement, at);
      // The API keys that downloaded or are downloading now (on any replica), this one counted.
      const seatsInUse = entitlement.terms.seats !== null ? await this.downloads.seatsWith(entitlement.id, caller.keyId) : undefined;
      const decision = checkUse(entitlement.terms, { use: 'download', grantedAt: entitlement.grantedAt, at, ...(seatsInUse !== undefined ? { seatsInUse } : {}) });
      if (!decision.permitted) throw refusal(decision.reason, decision.detail);
      if (after && after.version >= entitlement.versionIds.length) throw invalidCursor();
      const labels = await this.entitlements.versionLabels(entitlement.versionIds);
      const expires = urlExpiry(now, this.config.DOWNLOAD_URL_TTL_SECONDS, caller);

      const versions: ManifestPage['versions'] = [];
      const listedOf = new Map<string, ManifestFile[]>();
      let used = 0;
      if (!after) {
        const roots = await this.versionRoots.of(entitlement.datasetId, entitlement.versionIds);
        for (const versionId of entitlement.versionIds) {
          const root = roots.get(versionId)!;
          const listed: ManifestFile[] = [];
          const version = { id: versionId, version: labels.get(versionId) ?? versionId, files: listed, root, rootSignature: this.manifestSigner.sign(entitlement.datasetId, versionId, root) };
          used += Buffer.byteLength(JSON.stringify(version));
          versions.push(version);
          listedOf.set(versionId, listed);
        }
      }

      let filesBytes = 0;
      let filesListed = 0;
      let next: ManifestPosition | null = null;
      /** Lists the file on this page, or answers false when the page is full (its first file always fits). */
      const list = (into: ManifestFile[], file: VersionFile): boolean => {
        const listed = this.signedFile(entitlement.id, file, caller, expires);
        const bytes = Buffer.byteLength(JSON.stringify(listed)) + 1;
        if (filesListed > 0 && used + bytes > pageBytes) return false;
        used += bytes;
        filesBytes += bytes;
        filesListed++;
        into.push(listed);
        return true;
      };
      /** Rows to read next: about what is left of the page at the entries' size so far, so a page reads little more than its own files. */
      const rowsWanted = () => {
        const entryBytes = filesListed > 0 ? filesBytes / filesListed : ESTIMATED_ENTRY_BYTES;
        return Math.min(FILES_PER_READ, Math.max(1, Math.ceil((pageBytes - used) / entryBytes)) + 1);
      };

      const start = after ?? { version: 0, path: null };
      for (let index = start.version; index < entitlement.versionIds.length && !next; index++) {
        const versionId = entitlement.versionIds[index];
        const listed = listedOf.get(versionId) ?? [];
        let afterPath = index === start.version ? start.path : null;
        for (;;) {
          const wanted = rowsWanted();
          const files = await this.entitlements.filesAfter(entitlement.datasetId, versionId, afterPath, wanted);
          for (const file of files) {
            if (!list(listed, file)) {
              next = { version: index, path: afterPath };
              break;
            }
            afterPath = file.path;
          }
          if (next || files.length < wanted) break;
        }
        if (!listedOf.has(versionId) && listed.length > 0) versions.push({ id: versionId, version: labels.get(versionId) ?? versionId, files: listed });
      }
      return { datasetId: entitlement.datasetId, entitlementId: entitlement.id, versions, nextCursor: next ? encodeManifestCursor(next) : null };
    });
  }

  /** The caller's entitlement; another buyer's is NOT_FOUND, as if it did not exist. */
  private async owned(id: string, caller: Caller): Promise<Entitlement> {
    const entitlement = await this.entitlements.findById(id);
    if (!entitlement || entitlement.buyerOrganizationId !== caller.organizationId) {
      throw new ServiceException(CommonErrorCode.NOT_FOUND, `No entitlement ${id}.`);
    }
    return entitlement;
  }
}

/**
 * How much JSON of file entries one manifest page holds: a reply must fit in a NATS message
 * (max_payload, 1 MiB by default), with room for the versions, the envelope and the headers.
 */
export const MANIFEST_PAGE_BYTES = 512 * 1024;
/** At most this many files read per query for a page (each entry is at least about 300 bytes of JSON). */
const FILES_PER_READ = 2000;
/** What a file entry is guessed to take before a page has listed one: a URL of about 500 bytes and the rest. */
const ESTIMATED_ENTRY_BYTES = 600;

/** How much JSON of entries one diff page holds, like a manifest page: it fits in a NATS reply. */
export const DIFF_PAGE_BYTES = 512 * 1024;
/** Files of each version one diff page goes through at most before it answers with what it found. */
export const DIFF_PAGE_WALK = 20_000;
/** Files of each version one statement of a diff page reads. */
const DIFF_WINDOW_ROWS = 1_000;

/**
 * A diff's position: the last path a page went through, as the catalog's file pages write it,
 * with the digest of the diff it belongs to (entitlement, from, to), so that the cursor of one
 * diff is refused by another instead of starting it in the middle.
 */
function encodeDiffCursor(diff: DiffScope, path: string): string {
  return Buffer.from(JSON.stringify([diffTag(diff), path]), 'utf8').toString('base64url');
}

type DiffScope = Pick<DiffVersionsRequest, 'id' | 'from' | 'to'>;
const diffTag = (diff: DiffScope) => cursorScopeTag(`diff|${diff.id}|${diff.from}|${diff.to}`);

/** The path a diff cursor of `diff` holds: text PostgreSQL can compare (no U+0000), as long as a path may be. */
function decodeDiffCursor(diff: DiffScope, cursor: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || parsed[0] !== diffTag(diff) || typeof parsed[1] !== 'string') throw invalidCursor();
  const path = parsed[1];
  if (path.length === 0 || path.includes('\u0000') || Buffer.byteLength(path, 'utf8') > MAX_FILE_PATH_BYTES || encodeDiffCursor(diff, path) !== cursor) {
    throw invalidCursor();
  }
  return path;
}

/** Where a manifest page ends: the version (its index among the entitlement's) and the last path listed of it (null: none). */
interface ManifestPosition {
  version: number;
  path: string | null;
}

function encodeManifestCursor(position: ManifestPosition): string {
  return Buffer.from(JSON.stringify([position.version, position.path]), 'utf8').toString('base64url');
}

function decodeManifestCursor(cursor: string): ManifestPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalidCursor();
  const [version, path] = parsed as unknown[];
  if (!Number.isSafeInteger(version) || (version as number) < 0) throw invalidCursor();
  if (path !== null && (typeof path !== 'string' || path.length === 0 || Buffer.byteLength(path) > MAX_FILE_PATH_BYTES)) throw invalidCursor();
  return { version: version as number, path: path as string | null };
}

function invalidCursor(): ServiceException {
  return new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'cursor: not a value returned as nextCursor', [
    { field: 'cursor', problems: ['cursor must be a value returned as nextCursor'] },
  ]);
}

function requireCaller(context: RpcContext): Caller {
  if (!context.caller) throw new ServiceException(CommonErrorCode.FORBIDDEN, 'Entitlements belong to a caller; this request has none.');
  return context.caller;
}

/** The bytes a metered line may download: the GiB bought, or its share of the corpus; null when downloads are not counted. */
function allowedBytes(row: Pick<Entitlement, 'pricing'>): number | null {
  const { model, unit, quantity, allowanceBytes } = row.pricing;
  if (model !== 'metered' || quantity === undefined) return null;
  if (unit === 'gib') return quantity * GIB;
  return allowanceBytes ?? null;
}

const soldByBytes = (row: Pick<Entitlement, 'pricing'>) => allowedBytes(row) !== null;

/** What a metered line bought; where bytes are counted, also what was delivered of them (never below zero left). */
function allowanceOf(row: Entitlement, deliveredBytes: number): EntitlementAllowance | null {
  const { model, unit, quantity } = row.pricing;
  if (model !== 'metered' || !unit || quantity === undefined) return null;
  const bytes = allowedBytes(row);
  if (bytes === null) return { unit, quantity };
  return { unit, quantity, bytes, deliveredBytes, remainingBytes: Math.max(0, bytes - deliveredBytes) };
}

/**
 * When an entitlement's license may first be used: at the payment, or where a renewal's term
 * starts, later (`termStartsAt` after the payment): until then the terms it renews cover the
 * buyer, and should the order that holds them be refunded, the renewal still runs only for the
 * term it paid for. An exclusive line's term started before the payment, at its placement: it
 * is used from the payment.
 */
function licenseStart(termStartsAt: string | undefined, paidAt: Date): Date {
  const starts = termStartsAt ? new Date(termStartsAt) : null;
  return starts && starts > paidAt ? starts : paidAt;
}

function view(row: Entitlement, now: Date, deliveredBytes = 0): EntitlementView {
  return {
    id: row.id,
    datasetId: row.datasetId,
    orderId: row.orderId,
    versionIds: row.versionIds,
    status: currentStatus(row, now),
    startsAt: row.grantedAt.toISOString(),
    expiresAt: row.endedAt && row.status !== 'active' ? row.endedAt.toISOString() : (row.expiresAt?.toISOString() ?? null),
    allowance: allowanceOf(row, deliveredBytes),
  };
}

/**
 * A revoked (refunded) or expired entitlement serves nothing, nor one whose license has not
 * started yet (a renewal, until the term it renews ends): 403 saying which.
 */
function assertCurrent(entitlement: Entitlement, at: Date): void {
  const status = currentStatus(entitlement, at);
  if (status !== 'active') throw statusRefusal(status);
  if (at < entitlement.grantedAt) {
    throw new ServiceException(DeliveryErrorCode.ENTITLEMENT_NOT_STARTED, `The license does not run yet: the license starts at ${entitlement.grantedAt.toISOString()}, when the term it renews ends.`);
  }
}
