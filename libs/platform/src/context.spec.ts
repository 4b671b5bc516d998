import { acceptCorrelationId } from './context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('acceptCorrelationId', () => {
  it.each([
    ['a UUID', '8d3f2a4e-1c2b-4d5e-9f60-718293a4b5c6'],
    ['a token with dots, colons and dashes', 'buyer-run-42.batch:7'],
    ['a path-like id', 'req:42/a.b_c'],
    ['a W3C traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['spaces inside', 'po 2026-11 CMB 0042'],
    ['punctuation a client may use', 'job#17@cluster=a&b'],
    ['one character', 'x'],
    ['128 characters', 'a'.repeat(128)],
  ])('echoes %s', (_name, id) => {
    expect(acceptCorrelationId(id)).toBe(id);
  });

  it.each([
    ['nothing', undefined],
    ['an empty string', ''],
    ['129 characters (what the audit record holds, and one more)', 'a'.repeat(129)],
    ['a leading space', ' po-2026'],
    ['a trailing space', 'po-2026 '],
    ['a line break', 'po-2026\nINFO: forged log line'],
    ['a tab', 'po\t2026'],
    ['a control character', 'po\u00002026'],
    ['DEL', 'po\u007f2026'],
    ['Chinese', '订单-2026'],
    ['not a string', ['po-2026']],
  ])('answers a new UUID for %s', (_name, id) => {
    expect(acceptCorrelationId(id)).toMatch(UUID);
  });
});
