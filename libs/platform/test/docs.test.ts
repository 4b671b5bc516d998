import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const DOCS = join(ROOT, 'docs');

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

  it('are where the README sends readers, and the README points nowhere outside the repository', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('docs/README.md');
    expect(readme).toContain('/docs');
    // The README sits at the root: any ../ path leaves the repository.
    expect(readme.match(/(?:\]\(|`|\s)\.\.\/\S*/g) ?? []).toEqual([]);
  });
});
