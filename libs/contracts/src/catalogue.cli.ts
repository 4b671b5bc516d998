/** `npm run contracts`: writes docs/subjects.md from the contracts. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { subjectCatalogue, subjectCatalogueMarkdown } from './catalogue';
import * as contracts from './index';

const target = process.argv[2] ?? 'docs/subjects.md';
const entries = subjectCatalogue(contracts);
writeFileSync(target, subjectCatalogueMarkdown(entries));
process.stdout.write(`wrote ${target}: ${entries.length} subjects\n`);
