import { CommonErrorCode } from '@trove/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ServiceException } from './problem';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?limit=&cursor=` on every list; a limit above the cap is refused, not silently cut. */
export class PageQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

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

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.at.toISOString()}|${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at);
  if (!id || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'cursor: not a value returned as nextCursor', [
      { field: 'cursor', problems: ['cursor must be a value returned as nextCursor'] },
    ]);
  }
  return { at: date, id };
}

/** Builds a page from `limit + 1` rows fetched in order: the extra row only says there is more. */
export function toPage<R, T>(rows: R[], limit: number, position: (row: R) => Position, view: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return { items: items.map(view), nextCursor: more ? encodeCursor(position(items[items.length - 1])) : null };
}
