import { rpcSubject } from '../subject';
import {
  DiffVersionsRequest,
  GetManifestRequest,
  ListEntitlementsRequest,
  SignUploadRequest,
  type EntitlementList,
  type Manifest,
  type SignedUpload,
  type VersionDiff,
} from './delivery.messages';

export const DeliverySubjects = {
  signUpload: rpcSubject<SignUploadRequest, SignedUpload>('delivery.upload.sign', SignUploadRequest),
  /** The caller's (a buyer's) entitlements. */
  listEntitlements: rpcSubject<ListEntitlementsRequest, EntitlementList>('delivery.entitlement.list', ListEntitlementsRequest),
  /** The files of an entitlement's versions with fresh signed URLs; another buyer's is NOT_FOUND. */
  getManifest: rpcSubject<GetManifestRequest, Manifest>('delivery.entitlement.manifest', GetManifestRequest),
  /** Files added, removed and changed between two versions the entitlement covers. */
  diffVersions: rpcSubject<DiffVersionsRequest, VersionDiff>('delivery.entitlement.diff', DiffVersionsRequest),
};
