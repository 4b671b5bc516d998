import { messagingEntities } from '@trove/messaging';
import { CreateMessagingTables1764300000000 } from './migrations/1764300000000-CreateMessagingTables';
import { OrderEventsAndDeadLetters1764450000000 } from './migrations/1764450000000-OrderEventsAndDeadLetters';
import { CreateProcessedCommands1764460000000 } from './migrations/1764460000000-CreateProcessedCommands';
import { CreateStoredObjects1764470000000 } from './migrations/1764470000000-CreateStoredObjects';
import { CreateEntitlements1764490000000 } from './migrations/1764490000000-CreateEntitlements';
import { CreateDownloadHolds1764720000000 } from './migrations/1764720000000-CreateDownloadHolds';
import { DownloadHoldLimits1764740000000 } from './migrations/1764740000000-DownloadHoldLimits';
import { CallerRevocations1764760000000 } from './migrations/1764760000000-CallerRevocations';
import { EntitlementPages1764850000000 } from './migrations/1764850000000-EntitlementPages';
import { ManifestRoots1764910000000 } from './migrations/1764910000000-ManifestRoots';
import { DownloadHoldRanges1764940000000 } from './migrations/1764940000000-DownloadHoldRanges';
import { UnconfirmedUploads1764960000000 } from './migrations/1764960000000-UnconfirmedUploads';
import { EntitlementDatasetIndex1764970000000 } from './migrations/1764970000000-EntitlementDatasetIndex';
import { ObjectDeletions1765000000000 } from './migrations/1765000000000-ObjectDeletions';
import { ReleasedFileTally1765300000000 } from './migrations/1765300000000-ReleasedFileTally';
import { SpentUploadUrls1765400000000 } from './migrations/1765400000000-SpentUploadUrls';
import { DownloadHoldClaims1765500000000 } from './migrations/1765500000000-DownloadHoldClaims';
import { DownloadHoldAdmittedAt1765510000000 } from './migrations/1765510000000-DownloadHoldAdmittedAt';
import { DownloadBytesAsked1765520000000 } from './migrations/1765520000000-DownloadBytesAsked';
import { ObjectDeletion } from './uploads/object-deletion.entity';
import { StoredObject } from './uploads/stored-object.entity';

/** Everything in the delivery database, in the order the migrations were written. */
export const entities = [...messagingEntities, StoredObject, ObjectDeletion];
export const migrations = [
  CreateMessagingTables1764300000000,
  OrderEventsAndDeadLetters1764450000000,
  CreateProcessedCommands1764460000000,
  CreateStoredObjects1764470000000,
  CreateEntitlements1764490000000,
  CreateDownloadHolds1764720000000,
  DownloadHoldLimits1764740000000,
  CallerRevocations1764760000000,
  EntitlementPages1764850000000,
  ManifestRoots1764910000000,
  DownloadHoldRanges1764940000000,
  UnconfirmedUploads1764960000000,
  EntitlementDatasetIndex1764970000000,
  ObjectDeletions1765000000000,
  ReleasedFileTally1765300000000,
  SpentUploadUrls1765400000000,
  DownloadHoldClaims1765500000000,
  DownloadHoldAdmittedAt1765510000000,
  DownloadBytesAsked1765520000000,
];
