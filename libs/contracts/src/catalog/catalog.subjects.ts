import { DatasetRecipientsRequest, type DatasetRecipients } from '../delivery/delivery.messages';
import { rpcSubject } from '../subject';
import {
  AddSampleRequest,
  AddVersionFileRequest,
  CreateDatasetRequest,
  CreateOfferRequest,
  CreateUploadRequest,
  CreateVersionRequest,
  DatasetStatsRequest,
  GetDatasetRequest,
  GetOfferRequest,
  GetSampleRequest,
  GetVendorProfileRequest,
  ListedObjectsRequest,
  ListVersionFilesRequest,
  ListVersionsRequest,
  ListDatasetsRequest,
  ListVendorDatasetsRequest,
  ModerateDatasetRequest,
  SuspendDatasetRequest,
  RejectDatasetRequest,
  ReleaseExclusiveRequest,
  ReleaseVersionRequest,
  RemoveSampleRequest,
  RemoveVersionFileRequest,
  ReserveExclusiveRequest,
  SubmitDatasetRequest,
  UpdateDatasetRequest,
  UpsertVendorProfileRequest,
  WithdrawOfferRequest,
  type AddedSample,
  type DatasetDetail,
  type DatasetPage,
  type DatasetStatsView,
  type DatasetView,
  type ExclusiveSaleView,
  type ListedObjects,
  type OfferSnapshot,
  type OfferView,
  type SampleDownloadView,
  type SignedUploadView,
  type VendorProfileView,
  type VersionFilePage,
  type VersionPage,
  type VersionFileView,
  type VersionView,
} from './catalog.messages';

/** Changes state: a retry with the same idempotency key gets the first answer, applied once. */
const COMMAND = { command: true };

/**
 * The catalog's request subjects. The caller (organization, role, key) travels in the headers
 * and the catalog checks ownership from them: a dataset of another vendor is NOT_FOUND.
 */
export const CatalogSubjects = {
  getDataset: rpcSubject<GetDatasetRequest, DatasetDetail>('catalog.dataset.get', GetDatasetRequest),
  getCroissant: rpcSubject<GetDatasetRequest, Record<string, unknown>>('catalog.dataset.croissant', GetDatasetRequest),
  createDataset: rpcSubject<CreateDatasetRequest, DatasetView>('catalog.dataset.create', CreateDatasetRequest, COMMAND),
  updateDataset: rpcSubject<UpdateDatasetRequest, DatasetView>('catalog.dataset.update', UpdateDatasetRequest, COMMAND),
  listVendorDatasets: rpcSubject<ListVendorDatasetsRequest, DatasetPage>('catalog.dataset.list-own', ListVendorDatasetsRequest),
  listDatasets: rpcSubject<ListDatasetsRequest, DatasetPage>('catalog.dataset.list', ListDatasetsRequest),
  submitDataset: rpcSubject<SubmitDatasetRequest, DatasetView>('catalog.dataset.submit', SubmitDatasetRequest, COMMAND),
  approveDataset: rpcSubject<ModerateDatasetRequest, DatasetView>('catalog.dataset.approve', ModerateDatasetRequest, COMMAND),
  rejectDataset: rpcSubject<RejectDatasetRequest, DatasetView>('catalog.dataset.reject', RejectDatasetRequest, COMMAND),
  suspendDataset: rpcSubject<SuspendDatasetRequest, DatasetView>('catalog.dataset.suspend', SuspendDatasetRequest, COMMAND),
  withdrawDataset: rpcSubject<ModerateDatasetRequest, DatasetView>('catalog.dataset.withdraw', ModerateDatasetRequest, COMMAND),
  /** Checks that the caller owns the listing (or operates the market), then asks delivery who received it. */
  datasetRecipients: rpcSubject<DatasetRecipientsRequest, DatasetRecipients>('catalog.dataset.recipients', DatasetRecipientsRequest),

  createVersion: rpcSubject<CreateVersionRequest, VersionView>('catalog.version.create', CreateVersionRequest, COMMAND),
  releaseVersion: rpcSubject<ReleaseVersionRequest, VersionView>('catalog.version.release', ReleaseVersionRequest, COMMAND),
  /** A listing's versions, newest first, without files: released ones to whoever may see the listing, open ones to its vendor and admins. */
  listVersions: rpcSubject<ListVersionsRequest, VersionPage>('catalog.version.list', ListVersionsRequest),
  /** A version's files, a page at a time: as the listing's page shows the version, to whom it shows it. */
  listVersionFiles: rpcSubject<ListVersionFilesRequest, VersionFilePage>('catalog.version.list-files', ListVersionFilesRequest),
  /** From delivery, after it stored and checked the bytes of a version file. */
  addVersionFile: rpcSubject<AddVersionFileRequest, VersionFileView>('catalog.version.add-file', AddVersionFileRequest),
  /** The owning vendor removes a file from an open version; delivery drops its bytes (ObjectUnlisted). */
  removeVersionFile: rpcSubject<RemoveVersionFileRequest, null>('catalog.version.remove-file', RemoveVersionFileRequest, COMMAND),

  /** Checks the caller, the version and the path, then asks delivery for a signed upload URL. */
  createUpload: rpcSubject<CreateUploadRequest, SignedUploadView>('catalog.upload.create', CreateUploadRequest),
  /** From delivery, after it stored and checked the bytes of a sample. */
  addSample: rpcSubject<AddSampleRequest, AddedSample>('catalog.sample.add', AddSampleRequest),
  /** From delivery, settling uploads it told catalog of without an answer: which objects catalog lists. */
  listedObjects: rpcSubject<ListedObjectsRequest, ListedObjects>('catalog.storage.listed', ListedObjectsRequest),
  /** A sample with a signed URL of its bytes, to whoever may see the listing; anyone else NOT_FOUND. */
  getSample: rpcSubject<GetSampleRequest, SampleDownloadView>('catalog.sample.get', GetSampleRequest),
  /** The owning vendor removes a sample; delivery drops its bytes (ObjectUnlisted). */
  removeSample: rpcSubject<RemoveSampleRequest, null>('catalog.sample.remove', RemoveSampleRequest, COMMAND),

  createOffer: rpcSubject<CreateOfferRequest, OfferView>('catalog.offer.create', CreateOfferRequest, COMMAND),
  withdrawOffer: rpcSubject<WithdrawOfferRequest, OfferView>('catalog.offer.withdraw', WithdrawOfferRequest, COMMAND),
  /** For ordering: the offer snapshot to price and license an order line from. */
  getOffer: rpcSubject<GetOfferRequest, OfferSnapshot>('catalog.offer.get', GetOfferRequest),
  /** For ordering, at checkout of an exclusive offer: 409 EXCLUSIVITY_CONFLICT on a collision. */
  reserveExclusive: rpcSubject<ReserveExclusiveRequest, ExclusiveSaleView>('catalog.exclusive.reserve', ReserveExclusiveRequest),
  /** For ordering, after a refund or cancellation. */
  releaseExclusive: rpcSubject<ReleaseExclusiveRequest, ExclusiveSaleView | null>('catalog.exclusive.release', ReleaseExclusiveRequest),

  upsertVendorProfile: rpcSubject<UpsertVendorProfileRequest, VendorProfileView>('catalog.vendor.upsert-profile', UpsertVendorProfileRequest, COMMAND),
  getVendorProfile: rpcSubject<GetVendorProfileRequest, VendorProfileView>('catalog.vendor.get-profile', GetVendorProfileRequest),

  /** For the operators' figures (admin only): listings per moderation status. */
  datasetStats: rpcSubject<DatasetStatsRequest, DatasetStatsView>('catalog.stats.datasets', DatasetStatsRequest),
};
