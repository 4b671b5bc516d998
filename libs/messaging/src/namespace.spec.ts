import { Namespace } from './namespace';

describe('Namespace', () => {
  it('leaves production names bare', () => {
    const ns = new Namespace('');
    expect(ns.subject('catalog.dataset.get')).toBe('catalog.dataset.get');
    expect(ns.queue('catalog')).toBe('catalog');
    expect(ns.stream).toBe('TROVE_EVENTS');
    expect(ns.eventSubjects).toBe('evt.>');
  });

  it('prefixes subjects, queue groups and the stream of a namespaced run', () => {
    const ns = new Namespace('t3f9a');
    expect(ns.subject('evt.ordering.order.placed.v1')).toBe('t3f9a.evt.ordering.order.placed.v1');
    expect(ns.queue('billing')).toBe('t3f9a.billing');
    expect(ns.stream).toBe('TROVE_EVENTS_t3f9a');
    expect(ns.eventSubjects).toBe('t3f9a.evt.>');
  });
});
