import { messagingEntities } from '@trove/messaging';
import { AuditEvent } from './audit/audit-event.entity';
import { ApiKey } from './identity/api-key.entity';
import { Organization } from './identity/organization.entity';
import { CreateMessagingTables1764300000000 } from './migrations/1764300000000-CreateMessagingTables';
import { OrderEventsAndDeadLetters1764450000000 } from './migrations/1764450000000-OrderEventsAndDeadLetters';
import { CreateProcessedCommands1764460000000 } from './migrations/1764460000000-CreateProcessedCommands';
import { ListTimesInMilliseconds1764480000000 } from './migrations/1764480000000-ListTimesInMilliseconds';
import { OrganizationStatusAnnouncements1764890000000 } from './migrations/1764890000000-OrganizationStatusAnnouncements';
import { AuditByTarget1764900000000 } from './migrations/1764900000000-AuditByTarget';
import { OrganizationStatusReasons1764940000000 } from './migrations/1764940000000-OrganizationStatusReasons';
import { CreateIdentity1764300002000 } from './migrations/1764300002000-CreateIdentity';
import { IdentityChecksFromContracts1764300009000 } from './migrations/1764300009000-IdentityChecksFromContracts';
import { ApiKeyAccess1765300000000 } from './migrations/1765300000000-ApiKeyAccess';

/** Everything in the gateway database, in the order the migrations were written. */
export const entities = [...messagingEntities, Organization, ApiKey, AuditEvent];
export const migrations = [CreateMessagingTables1764300000000, CreateIdentity1764300002000, IdentityChecksFromContracts1764300009000, OrderEventsAndDeadLetters1764450000000, CreateProcessedCommands1764460000000, ListTimesInMilliseconds1764480000000, OrganizationStatusAnnouncements1764890000000, AuditByTarget1764900000000, OrganizationStatusReasons1764940000000, ApiKeyAccess1765300000000];
