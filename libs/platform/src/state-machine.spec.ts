import { StateMachine } from './state-machine';

type Order = 'pending_payment' | 'paid' | 'fulfilled' | 'cancelled' | 'refunded';

const orders = new StateMachine<Order>('order', {
  pending_payment: ['paid', 'cancelled'],
  paid: ['fulfilled', 'refunded'],
  fulfilled: ['refunded'],
  cancelled: [],
  refunded: [],
});

describe('StateMachine', () => {
  it('allows exactly the listed transitions', () => {
    expect(orders.can('pending_payment', 'paid')).toBe(true);
    expect(orders.can('paid', 'pending_payment')).toBe(false);
    expect(orders.can('cancelled', 'paid')).toBe(false);
  });

  it('refuses an illegal move as an INVALID_STATE that names both states', () => {
    expect(() => orders.assert('refunded', 'paid')).toThrow(expect.objectContaining({ code: 'INVALID_STATE', status: 409, message: 'The order is refunded and cannot become paid.' }));
  });

  it('knows its terminal states and what is reachable', () => {
    expect(orders.states.filter((s) => orders.isTerminal(s))).toEqual(['cancelled', 'refunded']);
    expect([...orders.reachableFrom('pending_payment')].sort()).toEqual(['cancelled', 'fulfilled', 'paid', 'pending_payment', 'refunded']);
    expect([...orders.reachableFrom('fulfilled')].sort()).toEqual(['fulfilled', 'refunded']);
  });
});
