import { readAs } from '@trove/dataset';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Listings read and rewritten at a time. */
const BATCH = 1000;

interface Row {
  id: string;
  title: string;
  metadata: Record<string, unknown>;
}

/**
 * Listings as the catalog stores them since tags are compared as a reader reads them: titles
 * and tags trimmed, and no tag given twice as a reader reads it (`readAs`: `ASR` and `asr`,
 * `普通话` and `普通话 `). Listings stored before
 * were refused every later edit, whatever it changed: a `PATCH` of the description alone
 * re-reads the whole listing, and answered 400 on tags it did not send. Of tags that read as one,
 * the first is kept; a tag blank once trimmed goes. Nothing else changes, and the search document
 * needs no rebuild: its words are the same.
 */
export class TidyListingText1765300001000 implements MigrationInterface {
  readonly name = 'TidyListingText1765300001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = (await queryRunner.query(`SELECT id, title, metadata FROM dataset WHERE id > $1 ORDER BY id LIMIT ${BATCH}`, [after])) as Row[];
      if (rows.length === 0) return;
      for (const row of rows) {
        const tidied = tidy(row);
        if (tidied) await queryRunner.query(`UPDATE dataset SET title = $2, metadata = $3 WHERE id = $1`, [row.id, tidied.title, JSON.stringify(tidied.metadata)]);
      }
      after = rows[rows.length - 1].id;
    }
  }

  async down(): Promise<void> {
    // The spaces and the second spellings are gone; the listings read as they did.
  }
}

/** The row's title and metadata as they are stored now, or null when they are already. */
export function tidy(row: Row): { title: string; metadata: Record<string, unknown> } | null {
  const metadata = { ...row.metadata };
  const title = row.title.trim() || row.title;
  for (const field of ['title', 'titleEn'] as const) {
    const value = metadata[field];
    if (typeof value === 'string' && value.trim() !== '') metadata[field] = value.trim();
  }
  if (Array.isArray(metadata.tags)) {
    const seen = new Set<string>();
    metadata.tags = (metadata.tags as unknown[]).flatMap((tag) => {
      if (typeof tag !== 'string') return [tag];
      const trimmed = tag.trim();
      const key = readAs(trimmed);
      if (trimmed === '' || seen.has(key)) return [];
      seen.add(key);
      return [trimmed];
    });
  }
  const changed = title !== row.title || JSON.stringify(metadata) !== JSON.stringify(row.metadata);
  return changed ? { title, metadata } : null;
}
