import { messagingEntities } from '@trove/messaging';
import { CreateMessagingTables1764300000000 } from './migrations/1764300000000-CreateMessagingTables';
import { OrderEventsAndDeadLetters1764450000000 } from './migrations/1764450000000-OrderEventsAndDeadLetters';
import { CreateProcessedCommands1764460000000 } from './migrations/1764460000000-CreateProcessedCommands';
import { CreateLedger1764600000000 } from './migrations/1764600000000-CreateLedger';
import { CreateCreditNotes1764810000000 } from './migrations/1764810000000-CreateCreditNotes';
import { CreateUsageMeters1764820000000 } from './migrations/1764820000000-CreateUsageMeters';
import { TopUpReferences1764830000000 } from './migrations/1764830000000-TopUpReferences';
import { SubscriptionListings1764840000000 } from './migrations/1764840000000-SubscriptionListings';
import { VendorStanding1764850000000 } from './migrations/1764850000000-VendorStanding';
import { PayoutCancelAndReject1764860000000 } from './migrations/1764860000000-PayoutCancelAndReject';
import { TopUpCancelAndReject1764870000000 } from './migrations/1764870000000-TopUpCancelAndReject';
import { MoneyListIndexes1764880000000 } from './migrations/1764880000000-MoneyListIndexes';
import { SubscriptionCancellation1764890000000 } from './migrations/1764890000000-SubscriptionCancellation';
import { SubscriptionItem1764930000000 } from './migrations/1764930000000-SubscriptionItem';
import { TopUpReferencesWithoutBankNames1764940000000 } from './migrations/1764940000000-TopUpReferencesWithoutBankNames';
import { SubscriptionLicenseTerms1764950000000 } from './migrations/1764950000000-SubscriptionLicenseTerms';
import { TopUpReferenceLookAlikes1764960000000 } from './migrations/1764960000000-TopUpReferenceLookAlikes';
import { PayoutDestination1764990000000 } from './migrations/1764990000000-PayoutDestination';
import { BalanceChecksByIndex1765000000000 } from './migrations/1765000000000-BalanceChecksByIndex';
import { DatasetWithdrawn1765300000000 } from './migrations/1765300000000-DatasetWithdrawn';
import { TopUpReferenceSerials1766000000000 } from './migrations/1766000000000-TopUpReferenceSerials';
import { TopUpTransferKeys1766100000000 } from './migrations/1766100000000-TopUpTransferKeys';

/** Everything in the billing database, in the order the migrations were written. */
export const entities = [...messagingEntities];
export const migrations = [CreateMessagingTables1764300000000, OrderEventsAndDeadLetters1764450000000, CreateProcessedCommands1764460000000, CreateLedger1764600000000, CreateCreditNotes1764810000000, CreateUsageMeters1764820000000, TopUpReferences1764830000000, SubscriptionListings1764840000000, VendorStanding1764850000000, PayoutCancelAndReject1764860000000, TopUpCancelAndReject1764870000000, MoneyListIndexes1764880000000, SubscriptionCancellation1764890000000, SubscriptionItem1764930000000, TopUpReferencesWithoutBankNames1764940000000, SubscriptionLicenseTerms1764950000000, TopUpReferenceLookAlikes1764960000000, PayoutDestination1764990000000, BalanceChecksByIndex1765000000000, DatasetWithdrawn1765300000000, TopUpReferenceSerials1766000000000, TopUpTransferKeys1766100000000];
