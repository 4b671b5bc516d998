import { addManifestPage, manifestOfFirstPage, type ManifestFile, type ManifestPage } from '@trove/contracts';
import { manifestJson } from './manifest-json';

const signature = (n: number) => ({ alg: 'Ed25519' as const, kid: 'kid1', sig: `sig${n}==`, publicKey: `key${n}=` });
const file = (version: string, n: number): ManifestFile => ({
  path: `audio/粤语/说话人_${n}/"引号"\\录音.wav`,
  size: 1000 + n,
  sha256: 'ab'.repeat(32),
  url: `https://delivery.example/files/${version}/${n}?sig=x%2By`,
  expiresAt: '2026-01-01T06:00:00.000Z',
});

/**
 * Pages as delivery cuts them: the versions' files in order, `perPage` files a page, the first
 * page naming every version with its root.
 */
function pagesOf(counts: number[], perPage: number): ManifestPage[] {
  const versions = counts.map((count, i) => ({ id: `v${i}`, version: `${i}.0.0`, files: Array.from({ length: count }, (_, n) => file(`v${i}`, n)) }));
  const all = versions.flatMap((v) => v.files.map((f) => ({ id: v.id, version: v.version, file: f })));
  const pages: ManifestPage[] = [];
  for (let start = 0; start === 0 || start < all.length; start += perPage) {
    const slice = all.slice(start, start + perPage);
    const listed = versions
      .map((v) => ({ id: v.id, version: v.version, files: slice.filter((s) => s.id === v.id).map((s) => s.file) }))
      .filter((v) => start === 0 || v.files.length > 0)
      .map((v) => (start === 0 ? { ...v, root: `root-${v.id}`, rootSignature: signature(Number(v.id.slice(1))) } : v));
    pages.push({ datasetId: 'd-1', entitlementId: 'e-1', versions: listed, nextCursor: null });
  }
  pages.forEach((page, i) => (page.nextCursor = i + 1 < pages.length ? `c${i + 1}` : null));
  return pages;
}

async function streamed(pages: ManifestPage[]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of manifestJson(pages[0], async (cursor) => pages[Number(cursor.slice(1))])) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function joined(pages: ManifestPage[]): string {
  const manifest = manifestOfFirstPage(pages[0]);
  for (const page of pages.slice(1)) addManifestPage(manifest, page);
  return JSON.stringify(manifest);
}

describe('manifestJson', () => {
  it.each([
    ['one page', [3, 2], 100],
    ['a file a page, across the end of a version and the start of the next', [3, 1, 2], 1],
    ['versions without files first, between and last', [0, 2, 0, 0, 3, 0], 2],
    ['pages that end exactly where a version ends', [2, 2, 2], 2],
    ['no files at all', [0, 0], 5],
    ['no versions', [], 5],
  ])('writes the bytes JSON.stringify gives the pages put together: %s', async (_, counts, perPage) => {
    const pages = pagesOf(counts, perPage);
    const text = await streamed(pages);
    expect(text).toBe(joined(pages));
    expect(JSON.parse(text).versions.map((v: { files: unknown[] }) => v.files.length)).toEqual(counts);
  });

  it('refuses a page that goes back to an earlier version', async () => {
    const pages = pagesOf([2, 2], 1);
    await expect(streamed([pages[0], pages[2], pages[1]].map((p, i, all) => ({ ...p, nextCursor: i + 1 < all.length ? `c${i + 1}` : null })))).rejects.toThrow(/out of the first page's order/);
  });

  it('ends, whole, at a version released since the first page, and reads no page after it', async () => {
    // The entitlement as the first page found it: two versions of two files, a file a page.
    const before = pagesOf([2, 2], 1);
    // A release meanwhile: delivery lists the new version after the others, from the page where
    // the old ones end (its last file shares a page with the new version's first).
    const after = pagesOf([2, 2, 3], 1);
    const pages = [before[0], ...after.slice(1)];
    pages[3] = { ...after[3], versions: [...before[3].versions, ...after[4].versions] };
    const asked: string[] = [];
    const chunks: Buffer[] = [];
    for await (const chunk of manifestJson(pages[0], async (cursor) => (asked.push(cursor), pages[Number(cursor.slice(1))]))) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(joined(before));
    expect(JSON.parse(text).versions.map((v: { id: string; files: unknown[] }) => [v.id, v.files.length])).toEqual([
      ['v0', 2],
      ['v1', 2],
    ]);
    expect(asked).toEqual(['c1', 'c2', 'c3']);
  });
});
