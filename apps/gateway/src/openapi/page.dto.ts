import { ApiProperty } from '@nestjs/swagger';
import type { Page } from '@trove/platform';

/** The OpenAPI shape of a cursor-paginated list of `item`: `{items, nextCursor}`. */
export function PageOf<T>(item: new () => T) {
  class PageDto implements Page<T> {
    @ApiProperty({ type: [item] })
    items: T[];

    @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last' })
    nextCursor: string | null;
  }
  return PageDto;
}
