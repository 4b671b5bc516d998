import { IsUUID } from 'class-validator';
import { CommonErrorCode, ERROR_STATUS } from './errors';
import { eventSubject, rpcSubject } from './subject';

class ById {
  @IsUUID()
  id: string;
}

describe('subjects', () => {
  it.each(['catalog.dataset.get', 'ordering.access-request.approve'])('accepts the request subject %s', (subject) => {
    expect(rpcSubject(subject, ById).subject).toBe(subject);
  });

  it.each(['catalog.get', 'Catalog.dataset.get', 'evt.catalog.dataset.published.v1', 'catalog.dataset.get.now'])('refuses the request subject %s', (subject) => {
    expect(() => rpcSubject(subject, ById)).toThrow(/<service>\.<aggregate>\.<verb>/);
  });

  it('requires events to be versioned facts under evt.', () => {
    expect(eventSubject('evt.ordering.order.placed.v1', ById).subject).toBe('evt.ordering.order.placed.v1');
    expect(() => eventSubject('evt.ordering.order.placed', ById)).toThrow(/v<N>/);
    expect(() => eventSubject('ordering.order.placed.v1', ById)).toThrow();
  });
});

describe('ERROR_STATUS', () => {
  it('gives every error code a client or server status', () => {
    for (const code of Object.values(CommonErrorCode)) {
      expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
      expect(ERROR_STATUS[code]).toBeLessThan(600);
    }
  });
});
