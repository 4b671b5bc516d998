import { rpcSubject } from '../subject';
import {
  DatasetRecipientsRequest,
  DiffVersionsRequest,
  GetManifestRequest,
  ListEntitlementsRequest,
  LocateFileRequest,
  SignSampleRequest,
  SignUploadRequest,
  type DatasetRecipients,
  type EntitlementList,
  type LocatedFile,
  type ManifestPage,
  type SignedSample,
  type SignedUpload,
  type VersionDiff,
} from './delivery.messages';

export const DeliverySubjects = {
  signUpload: rpcSubject<SignUploadRequest, SignedUpload>('delivery.upload.sign', SignUploadRequest),
  /** From catalog, for a caller it let see the listing: a short-lived URL of a sample's bytes. */
  signSample: rpcSubject<SignSampleRequest, SignedSample>('delivery.sample.sign', SignSampleRequest),
  /** The caller's (a buyer's) entitlements. */
  listEntitlements: rpcSubject<ListEntitlementsRequest, EntitlementList>('delivery.entitlement.list', ListEntitlementsRequest),
  /**
   * The files of an entitlement's versions with fresh signed URLs, a page at a time (a reply must
   * fit in a NATS message); another buyer's is NOT_FOUND.
   */
  getManifest: rpcSubject<GetManifestRequest, ManifestPage>('delivery.entitlement.manifest', GetManifestRequest),
  /**
   * One file of a version by its path, with a fresh signed URL, for a buyer whose live
   * entitlement covers the version; NOT_FOUND for a file, version or dataset it does not cover.
   */
  locateFile: rpcSubject<LocateFileRequest, LocatedFile>('delivery.file.locate', LocateFileRequest),
  /** Files added, removed and changed between two versions the entitlement covers. */
  diffVersions: rpcSubject<DiffVersionsRequest, VersionDiff>('delivery.entitlement.diff', DiffVersionsRequest),
  /** From catalog, once it has checked that the caller owns the listing: who received it, and what each downloaded. */
  datasetRecipients: rpcSubject<DatasetRecipientsRequest, DatasetRecipients>('delivery.dataset.recipients', DatasetRecipientsRequest),
};
