import { eventSubject } from '@trove/contracts';
import { ArrayMaxSize, IsArray, IsUUID } from 'class-validator';

/*
 * The delivery event ordering consumes, as agreed for the purchase saga (subject and fields).
 * It mirrors delivery's contract until that is in libs/contracts; then this file goes and the
 * saga imports delivery's.
 */
export class EntitlementGrantedV1 {
  @IsUUID()
  orderId: string;

  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  entitlementIds: string[];
}

export const DeliveryEventsForOrdering = {
  entitlementGranted: eventSubject('evt.delivery.entitlement.granted.v1', EntitlementGrantedV1, { aggregate: (p) => p.orderId }),
};
