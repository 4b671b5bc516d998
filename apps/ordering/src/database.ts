import { messagingEntities } from '@trove/messaging';
import { AccessRequest } from './access-requests/access-request.entity';
import { CreateMessagingTables1764300000000 } from './migrations/1764300000000-CreateMessagingTables';
import { OrderEventsAndDeadLetters1764450000000 } from './migrations/1764450000000-OrderEventsAndDeadLetters';
import { CreateProcessedCommands1764460000000 } from './migrations/1764460000000-CreateProcessedCommands';
import { CreateOrders1764700000000 } from './migrations/1764700000000-CreateOrders';
import { FreeAndMeteredLines1764710000000 } from './migrations/1764710000000-FreeAndMeteredLines';
import { CreateExclusiveHolds1764730000000 } from './migrations/1764730000000-CreateExclusiveHolds';
import { ExclusiveLinesByOffer1764880000000 } from './migrations/1764880000000-ExclusiveLinesByOffer';
import { AccessRequestRejectionReasons1764920000000 } from './migrations/1764920000000-AccessRequestRejectionReasons';
import { LinesByBuyerAndOffer1764930000000 } from './migrations/1764930000000-LinesByBuyerAndOffer';
import { PendingAccessRequestsByVendor1764940000000 } from './migrations/1764940000000-PendingAccessRequestsByVendor';
import { LineWholeQuantity1764950000000 } from './migrations/1764950000000-LineWholeQuantity';
import { SalesByDataset1764980000000 } from './migrations/1764980000000-SalesByDataset';
import { SubscriptionSales1765000000000 } from './migrations/1765000000000-SubscriptionSales';
import { RenewalTermStarts1765100000000 } from './migrations/1765100000000-RenewalTermStarts';
import { ExclusiveHoldsByDataset1765600000000 } from './migrations/1765600000000-ExclusiveHoldsByDataset';
import { ExclusiveHold } from './orders/exclusive-hold.entity';
import { LicenseReceipt, Order, OrderLine } from './orders/order.entity';

/** Everything in the ordering database, in the order the migrations were written. */
export const entities = [...messagingEntities, Order, OrderLine, LicenseReceipt, AccessRequest, ExclusiveHold];
export const migrations = [CreateMessagingTables1764300000000, OrderEventsAndDeadLetters1764450000000, CreateProcessedCommands1764460000000, CreateOrders1764700000000, FreeAndMeteredLines1764710000000, CreateExclusiveHolds1764730000000, ExclusiveLinesByOffer1764880000000, AccessRequestRejectionReasons1764920000000, LinesByBuyerAndOffer1764930000000, PendingAccessRequestsByVendor1764940000000, LineWholeQuantity1764950000000, SalesByDataset1764980000000, SubscriptionSales1765000000000, RenewalTermStarts1765100000000, ExclusiveHoldsByDataset1765600000000];
