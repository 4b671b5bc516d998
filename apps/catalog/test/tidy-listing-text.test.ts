import { exampleMetadata } from '@trove/dataset';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { createDataSource } from '../src/data-source';
import { DatasetsService } from '../src/datasets/datasets.service';
import { TidyListingText1765300001000 } from '../src/migrations/1765300001000-TidyListingText';
import { withDatabase } from '../../../test/support/postgres';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * Listings stored before tags were compared as a reader reads them (and titles and tags
 * trimmed) were refused every later edit: a PATCH of the description alone re-reads the whole
 * listing and answered 400 on tags it did not send. The migration stores them as the catalog
 * stores listings now.
 */
jest.setTimeout(60_000);

describe('TidyListingText: listings stored before today read as the rules store them', () => {
  let catalog: CatalogModule;
  const owner: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() };

  beforeAll(async () => {
    catalog = await startCatalogModule('tidy_listing_text');
  });

  afterAll(async () => {
    await catalog?.stop();
  });

  it('trims titles and tags and keeps the first of tags that read as one, and the listing takes edits again', async () => {
    const datasets = catalog.moduleRef.get(DatasetsService);
    const { id } = await datasets.create(owner, { ...exampleMetadata('speech'), title: '普通话朗读语音 1,000 小时', description: '1,000 小时普通话朗读语音。' } as never);
    const untouched = await datasets.create(owner, { ...exampleMetadata('speech'), title: '粤语客服通话 500 小时', description: '500 小时粤语客服通话。', tags: ['粤语', '客服'] } as never);
    // As the catalog stored it before: surrounding spaces, and the same tag three ways.
    await withDatabase(catalog.db.url, (c) =>
      c.query(
        `UPDATE dataset SET title = '  普通话朗读语音 1,000 小时 ', metadata = metadata || jsonb_build_object('title', '  普通话朗读语音 1,000 小时 ', 'tags', '["ASR", "普通话 ", "asr", "ＡＳＲ", "普通话", "朗读"]'::jsonb) WHERE id = $1`,
        [id],
      ),
    );
    await expect(datasets.update(owner, id, { description: '1,000 小时普通话朗读语音，2,000 名说话人。' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const before = await withDatabase(catalog.db.url, async (c) => (await c.query(`SELECT id, title, metadata, updated_at FROM dataset ORDER BY id`)).rows);

    const dataSource = createDataSource(catalog.db.url);
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    try {
      await new TidyListingText1765300001000().up(runner);
    } finally {
      await runner.release();
      await dataSource.destroy();
    }

    const after = await withDatabase(catalog.db.url, async (c) => (await c.query(`SELECT id, title, metadata, updated_at FROM dataset ORDER BY id`)).rows);
    const tidied = after.find((row: { id: string }) => row.id === id);
    expect([tidied.title, tidied.metadata.title, tidied.metadata.tags]).toEqual(['普通话朗读语音 1,000 小时', '普通话朗读语音 1,000 小时', ['ASR', '普通话', '朗读']]);
    // The other listing is as it was, row for row.
    expect(after.find((row: { id: string }) => row.id === untouched.id)).toEqual(before.find((row: { id: string }) => row.id === untouched.id));
    // And the edit the listing was refused now passes.
    const edited = await datasets.update(owner, id, { description: '1,000 小时普通话朗读语音，2,000 名说话人。' });
    expect(edited.metadata).toMatchObject({ description: '1,000 小时普通话朗读语音，2,000 名说话人。', tags: ['ASR', '普通话', '朗读'] });
  });
});
