import { decodeCursor, encodeCursor, isIsoTimestamp, toPage } from './pagination';
import { ANSWER_MAX_BYTES } from './answer-size';
import { ServiceException } from './problem';

const cursorOf = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const ID = '3f1c2a9b-7e3d-4c51-8b6a-2d4e5f607182';
const SCOPE = 'orders|6f1c2a9e-3b7d-4c55-9e0a-2d8f4b1c7e93|paid';

describe('isIsoTimestamp', () => {
  it.each([
    ['2026-11-30T22:25:15.980Z', true],
    ['2026-11-30T22:25:15.980123+00:00', true],
    ['2026-11-30T22:25:15+08:00', true],
    ['2024-02-29T00:00:00Z', true],
    ['1', false],
    ['2026-02-31T00:00:00Z', false],
    ['2025-02-29T00:00:00Z', false],
    ['2026-11-30T24:00:00Z', false],
    ['2026-11-30T23:60:00Z', false],
    ['2026-11-30 22:25:15Z', false],
    ['+010000-01-01T00:00:00.000Z', false],
    ['0999-01-01T00:00:00Z', false],
    ['2026-11-30T22:25:15.1234567Z', false],
    ['2026-11-30T22:25:15+15:00', false],
  ])('%s: %s', (text, expected) => {
    expect(isIsoTimestamp(text)).toBe(expected);
  });
});

describe('decodeCursor', () => {
  const refused = (cursor: string) => {
    try {
      decodeCursor(cursor, SCOPE);
    } catch (error) {
      return error instanceof ServiceException && error.errors?.[0]?.field === 'cursor';
    }
    return false;
  };

  it('reads back what encodeCursor wrote', () => {
    const position = { at: new Date('2026-11-30T22:25:15.980Z'), id: ID };
    expect(decodeCursor(encodeCursor(position, SCOPE), SCOPE)).toEqual(position);
  });

  it("refuses another list's cursor, or the same list's under other filters, with 400 naming the cursor", () => {
    const position = { at: new Date('2026-11-30T22:25:15.980Z'), id: ID };
    expect(refused(encodeCursor(position, 'orders|6f1c2a9e-3b7d-4c55-9e0a-2d8f4b1c7e93|fulfilled'))).toBe(true);
    expect(refused(encodeCursor(position, 'sales|6f1c2a9e-3b7d-4c55-9e0a-2d8f4b1c7e93'))).toBe(true);
    // A cursor of the old form, without its list: the client starts the list again.
    expect(refused(cursorOf(`2026-11-30T22:25:15.980Z|${ID}`))).toBe(true);
  });

  it('refuses a cursor whose values the database would refuse, with 400 naming the cursor', () => {
    const tag = Buffer.from(encodeCursor({ at: new Date(0), id: ID }, SCOPE), 'base64url').toString('utf8').split('|')[2];
    expect(refused(cursorOf(`2026-01-01T00:00:00.000Z|------------------------------------|${tag}`))).toBe(true);
    expect(refused(cursorOf(`2026-01-01T00:00:00.000Z|${ID.toUpperCase().replace(/-/g, 'X')}`))).toBe(true);
    expect(refused(cursorOf(`1|${ID}`))).toBe(true);
    expect(refused(cursorOf(`2026-02-31T00:00:00.000Z|${ID}`))).toBe(true);
    expect(refused(cursorOf(`2026-01-01T00:00:00.000Z|${ID}|${tag}|more`))).toBe(true);
    expect(refused('not base64 at all')).toBe(true);
  });
});

describe('toPage', () => {
  const rows = (count: number, textBytes: number) =>
    Array.from({ length: count }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, at: new Date(Date.UTC(2026, 11, 1, 0, 0, i)), intendedUse: '用'.repeat(textBytes / 3) }));
  const position = (row: { id: string; at: Date }) => ({ at: row.at, id: row.id });

  it('gives `limit` items and a cursor at the last when there are more rows', () => {
    const page = toPage(rows(21, 30), 20, position, (row) => row, SCOPE);
    expect(page.items).toHaveLength(20);
    expect(decodeCursor(page.nextCursor!, SCOPE)).toEqual(position(rows(21, 30)[19]));
    expect(toPage(rows(20, 30), 20, position, (row) => row, SCOPE).nextCursor).toBeNull();
  });

  it('stops before the page would not fit in one message, and the next page starts where it stopped', () => {
    // 100 items of about 12 KB each (4,000 Chinese characters): 1.2 MB, past one NATS message.
    const all = rows(100, 12_000);
    const first = toPage(all, 100, position, (row) => row, SCOPE);
    expect(first.items.length).toBeLessThan(100);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThanOrEqual(ANSWER_MAX_BYTES + 1024);
    expect(decodeCursor(first.nextCursor!, SCOPE)).toEqual(position(all[first.items.length - 1]));
    const rest = toPage(all.slice(first.items.length), 100, position, (row) => row, SCOPE);
    expect([...first.items, ...rest.items].map((row) => row.id)).toEqual(all.map((row) => row.id));
  });
});
