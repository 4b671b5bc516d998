import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as contracts from './index';
import { subjectCatalogue, subjectCatalogueMarkdown } from './catalogue';

describe('the committed list of subjects and events', () => {
  it('is what the contracts say (run `npm run contracts` after changing one)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'subjects.md'), 'utf8');
    expect(subjectCatalogueMarkdown(subjectCatalogue(contracts))).toBe(committed);
  });

  it('finds subjects inside objects and names their payload fields', () => {
    const entries = subjectCatalogue(contracts);
    expect(entries.find((e) => e.subject === 'catalog.dataset.get')).toEqual({ kind: 'rpc', subject: 'catalog.dataset.get', payload: 'GetDatasetRequest', fields: ['id'] });
    expect(entries.filter((e) => e.subject.endsWith('.system.health'))).toHaveLength(4);
  });
});
