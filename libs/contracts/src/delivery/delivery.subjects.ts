import { rpcSubject } from '../subject';
import {
  DiffVersionsRequest,
  GetManifestRequest,
  ListEntitlementsRequest,
  SignUploadRequest,
  type EntitlementList,
  type ManifestPage,
  type SignedUpload,
  type VersionDiff,
} from './delivery.messages';

export const DeliverySubjects = {
  signUpload: rpcSubject<SignUploadRequest, SignedUpload>('delivery.upload.sign', SignUploadRequest),
  /** The caller's (a buyer's) entitlements. */
  listEntitlements: rpcSubject<ListEntitlementsRequest, EntitlementList>('delivery.entitlement.list', ListEntitlementsRequest),
  /**
   * The files of an entitlement's versions with fresh signed URLs, a page at a time (a reply must
   * fit in a NATS message); another buyer's is NOT_FOUND.
   */
  getManifest: rpcSubject<GetManifestRequest, ManifestPage>('delivery.entitlement.manifest', GetManifestRequest),
  /** Files added, removed and changed between two versions the entitlement covers. */
  diffVersions: rpcSubject<DiffVersionsRequest, VersionDiff>('delivery.entitlement.diff', DiffVersionsRequest),
};
