import { createHash } from 'node:crypto';
import { CommonErrorCode, QueryInteger } from '@trove/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { ANSWER_MAX_BYTES, jsonBytes, leadingWithin } from './answer-size';
import { ServiceException } from './problem';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?limit=&cursor=` on every list; a limit above the cap is refused, not silently cut. */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Page size; above the maximum is 400, not cut.' })
  @IsOptional()
  @QueryInteger({ min: 1, max: MAX_PAGE_SIZE })
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page of the same list (same filters); one of another list, or malformed, is 400.', pattern: '^[A-Za-z0-9_-]{1,200}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Keyset position in a list ordered by (time desc, id desc): stable under inserts. */
export interface Position {
  at: Date;
  id: string;
}

/**
 * Which list a cursor belongs to: the list's name and everything that selects its rows (whose
 * they are, the filters), e.g. `orders|<buyer>|paid`. A cursor carries a short digest of it, so
 * the nextCursor of one list (another dataset's versions, another vendor's listings, the same
 * list under other filters) is refused by every other instead of paging it from a position that
 * means nothing there.
 */
export type CursorScope = string;

/** The short digest of a list's scope that its cursors carry (11 characters of base64url). */
export const cursorScopeTag = (scope: CursorScope): string => createHash('sha256').update(scope, 'utf8').digest('base64url').slice(0, 11);

export function encodeCursor(position: Position, scope: CursorScope): string {
  return Buffer.from(`${position.at.toISOString()}|${position.id}|${cursorScopeTag(scope)}`, 'utf8').toString('base64url');
}

/** A UUID as PostgreSQL writes one (lower-case hex): what every cursor carries as its id. */
export const CURSOR_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An ISO 8601 time with a date that exists, as PostgreSQL writes a timestamptz in JSON
 * (`2026-11-30T22:25:15.980123+00:00`) or JavaScript's toISOString does (`...Z`). Date.parse
 * alone is not enough: it takes `1`, February 31st and 24:00, which PostgreSQL refuses.
 */
export function isIsoTimestamp(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!parts) return false;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number);
  const offsetHours = parts[8] === undefined ? 0 : Number(parts[8]);
  const offsetMinutes = parts[9] === undefined ? 0 : Number(parts[9]);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1000 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 14 &&
    offsetMinutes <= 59
  );
}

/** The position a `nextCursor` of the list `scope` names; anything else is 400 naming the cursor. */
export function decodeCursor(cursor: string | undefined, scope: CursorScope): Position | undefined {
  if (!cursor) return undefined;
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const [at, id, tag] = parts;
  if (parts.length !== 3 || !isIsoTimestamp(at) || !CURSOR_UUID.test(id)) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'cursor: not a value returned as nextCursor', [
      { field: 'cursor', problems: ['cursor must be a value returned as nextCursor'] },
    ]);
  }
  if (tag !== cursorScopeTag(scope)) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'cursor: the nextCursor of another list', [
      { field: 'cursor', problems: ['cursor must be the nextCursor of this list, with the same filters'] },
    ]);
  }
  return { at: new Date(at), id };
}

/** Builds a page from `limit + 1` rows fetched in order: the extra row only says there is more. */
export function toPage<R, T>(rows: R[], limit: number, position: (row: R) => Position, view: (row: R) => T, scope: CursorScope): Page<T> {
  const all = rows.slice(0, limit).map(view);
  // A page travels in one NATS message: long texts (a buyer's intended use, titles) can make
  // `limit` items too many for it, and then the next page starts where this one stopped.
  const items = leadingWithin(all, jsonBytes, ANSWER_MAX_BYTES);
  const more = items.length < all.length || rows.length > limit;
  return { items, nextCursor: more ? encodeCursor(position(rows[items.length - 1]), scope) : null };
}
