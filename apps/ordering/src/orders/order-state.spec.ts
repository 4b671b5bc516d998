import { ORDER_STATUSES } from '@trove/contracts';
import { ServiceException } from '@trove/platform';
import { orderStates, IN_FLIGHT } from './order-state';
import { Order } from './order.entity';
import { nameBasedUuid, orderIdFor } from './orders.service';

describe('the order state table', () => {
  it('names every status of the contract, and every one is reachable from pending_payment', () => {
    expect(orderStates.states.sort()).toEqual([...ORDER_STATUSES].sort());
    expect([...orderStates.reachableFrom('pending_payment')].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('ends in cancelled or refunded only; the sweep re-drives exactly the states that wait for another service', () => {
    expect(orderStates.states.filter((s) => orderStates.isTerminal(s)).sort()).toEqual(['cancelled', 'refunded']);
    expect(IN_FLIGHT.sort()).toEqual(['paid', 'pending_payment', 'refund_pending']);
  });

  it('refuses a move the table does not list, and records the time of the moves it makes', () => {
    const order = Object.assign(new Order(), { status: 'pending_payment', paidAt: null, fulfilledAt: null, closedAt: null });
    expect(() => order.moveTo('fulfilled')).toThrow(ServiceException);
    expect(() => order.moveTo('refund_pending')).toThrow(/pending_payment and cannot become refund_pending/);
    const at = new Date('2026-11-30T08:00:00Z');
    order.moveTo('paid', at);
    order.moveTo('fulfilled', at);
    expect(order).toMatchObject({ status: 'fulfilled', paidAt: at, fulfilledAt: at, closedAt: null });
    order.moveTo('refund_pending', at);
    order.moveTo('refunded', at);
    expect(order.closedAt).toEqual(at);
    expect(() => order.moveTo('paid')).toThrow(ServiceException);
  });
});

describe('the order id of a command', () => {
  const buyer = { organizationId: '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b', role: 'buyer' as const, keyId: 'k1' };

  const offerId = '0f5c7a1e-2b3d-4c5e-8f6a-7b8c9d0e1f2a';
  const request = { items: [{ offerId }], acceptLicense: true as const };

  it('is the same UUID for the same buyer, Idempotency-Key and request, and differs for another key or buyer', () => {
    const id = orderIdFor(buyer, 'po-2026-11-0042', request);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(orderIdFor(buyer, 'po-2026-11-0042', { acceptLicense: true, items: [{ offerId }] })).toBe(id);
    expect(orderIdFor(buyer, 'po-2026-11-0043', request)).not.toBe(id);
    expect(orderIdFor({ ...buyer, organizationId: '0b6e5f8a-1c2d-4e3f-9a4b-5c6d7e8f9a0b' }, 'po-2026-11-0042', request)).not.toBe(id);
  });

  it('is a standard name-based (version 5) UUID, as other implementations make it', () => {
    // The RFC's example (DNS namespace, python.org), and a UTF-8 name under the order namespace,
    // both as Python's uuid.uuid5 makes them.
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(nameBasedUuid('99008072-6013-4089-83dd-6dafd8c25da9', '订单 po-2026-11-0042')).toBe('1d6b0c77-371e-5eb6-b186-b5c234841e31');
  });

  it('differs for another request under the same key, which reserves and gives back exclusive sales of its own', () => {
    expect(orderIdFor(buyer, 'po-2026-11-0042', { ...request, items: [{ offerId, quantity: 2 }] })).not.toBe(orderIdFor(buyer, 'po-2026-11-0042', request));
  });
});
