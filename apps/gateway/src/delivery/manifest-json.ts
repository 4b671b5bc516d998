import type { ManifestPage, ManifestVersion } from '@trove/contracts';

/**
 * The JSON of a whole manifest, a chunk per page as the pages arrive: byte for byte what
 * `JSON.stringify` gives the manifest the pages put together
 * (`{datasetId, entitlementId, versions: [{id, version, files, root, rootSignature}]}`), while
 * only one page is held at a time. A corpus of 500,000 files makes a manifest of hundreds of MB.
 *
 * The first page names every version with its root; each page lists files in manifest order,
 * so a version's `files` array is opened when its first file arrives (or an earlier version's
 * next version's does) and closed, with its root after it, when a later version starts. A page
 * that breaks that order throws, which ends the answer unfinished rather than wrong.
 */
export async function* manifestJson(first: ManifestPage, nextPage: (cursor: string) => Promise<ManifestPage>): AsyncGenerator<Buffer> {
  const versions: Omit<ManifestVersion, 'files'>[] = first.versions.map(({ id, version, root, rootSignature }) => {
    if (root === undefined || rootSignature === undefined) throw new Error(`the first page of a manifest has no root for version ${id}`);
    return { id, version, root, rootSignature };
  });
  const position = new Map(versions.map((version, index) => [version.id, index]));
  /** The version whose `files` array is open (-1: none yet), and how many files it has so far. */
  let open = -1;
  let listed = 0;

  const close = (index: number) => `],"root":${JSON.stringify(versions[index].root)},"rootSignature":${JSON.stringify(versions[index].rootSignature)}}`;
  /** Closes the open version and opens the ones up to `index`, each empty but the last. */
  const openUpTo = (index: number): string => {
    let json = '';
    for (; open < index; listed = 0) {
      if (open >= 0) json += close(open);
      open++;
      json += `${open > 0 ? ',' : ''}{"id":${JSON.stringify(versions[open].id)},"version":${JSON.stringify(versions[open].version)},"files":[`;
    }
    return json;
  };
  const files = (page: ManifestPage): string => {
    let json = '';
    for (const version of page.versions) {
      if (version.files.length === 0) continue;
      const index = position.get(version.id);
      if (index === undefined || index < open) throw new Error(`a manifest page lists version ${version.id} out of the first page's order`);
      json += openUpTo(index);
      for (const file of version.files) json += `${listed++ > 0 ? ',' : ''}${JSON.stringify(file)}`;
    }
    return json;
  };

  yield Buffer.from(`{"datasetId":${JSON.stringify(first.datasetId)},"entitlementId":${JSON.stringify(first.entitlementId)},"versions":[${files(first)}`);
  for (let page = first; page.nextCursor !== null; ) {
    page = await nextPage(page.nextCursor);
    const json = files(page);
    if (json) yield Buffer.from(json);
  }
  yield Buffer.from(`${openUpTo(versions.length - 1)}${open >= 0 ? close(open) : ''}]}`);
}
