import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCS = join(__dirname, '..', '..', '..', 'docs');

describe('docs/', () => {
  const pages = readdirSync(DOCS).filter((name) => name !== 'README.md' && /\.(md|json)$/.test(name));
  const read = (name: string) => readFileSync(join(DOCS, name), 'utf8');

  it('lists every page in its index, docs/README.md', () => {
    const linked = [...read('README.md').matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]);
    expect(pages.filter((page) => !linked.includes(page))).toEqual([]);
    expect(linked.filter((link) => !pages.includes(link))).toEqual([]);
  });

  it('links only to files inside the repository', () => {
    const outside = pages
      .filter((name) => name.endsWith('.md'))
      .concat('README.md')
      .flatMap((name) => [...read(name).matchAll(/\]\(([^)]+)\)/g)].map((m) => ({ name, link: m[1] })))
      .filter(({ link }) => /^[a-z]+:/i.test(link) || link.startsWith('../..') || link.startsWith('../shared'));
    expect(outside).toEqual([]);
  });
});
