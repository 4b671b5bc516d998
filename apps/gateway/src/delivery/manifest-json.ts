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
 *
 * The manifest is the entitlement as its first page found it. A subscriber's entitlement gains a
 * version when one is released, and delivery lists it after every version it had (in the order
 * they were added): a page naming a version the first page did not name means every version of
 * the manifest is complete, so the answer ends there. Before, a release while a subscriber read
 * a large manifest threw, and cut the answer off; the new version is in the next manifest read.
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
  /** Set when a page lists a version added since the first page: every version of the manifest is complete. */
  let complete = false;
  function* files(page: ManifestPage): Generator<string> {
    for (const version of page.versions) {
      if (version.files.length === 0) continue;
      const index = position.get(version.id);
      if (index === undefined) {
        complete = true;
        return;
      }
      if (index < open) throw new Error(`a manifest page lists version ${version.id} out of the first page's order`);
      yield openUpTo(index);
      for (const file of version.files) yield `${listed++ > 0 ? ',' : ''}${JSON.stringify(file)}`;
    }
  }
  /**
   * The page's JSON in chunks of about CHUNK_CHARS: a page's JSON as one string (half a MiB and
   * more) would be allocated where only a full garbage collection frees it, and the gateway's
   * memory would grow by pages before one ran.
   */
  function* chunks(page: ManifestPage, before = '', after = () => ''): Generator<Buffer> {
    let json = before;
    for (const piece of files(page)) {
      json += piece;
      if (json.length >= CHUNK_CHARS) {
        yield Buffer.from(json);
        json = '';
      }
    }
    json += after();
    if (json) yield Buffer.from(json);
  }
  const end = () => `${openUpTo(versions.length - 1)}${open >= 0 ? close(open) : ''}]}`;

  const start = `{"datasetId":${JSON.stringify(first.datasetId)},"entitlementId":${JSON.stringify(first.entitlementId)},"versions":[`;
  if (first.nextCursor === null) {
    yield* chunks(first, start, end);
    return;
  }
  yield* chunks(first, start);
  for (let page = first; page.nextCursor !== null && !complete; ) {
    page = await nextPage(page.nextCursor);
    yield* chunks(page);
  }
  yield Buffer.from(end());
}

/** Characters of JSON per chunk written (UTF-8: up to three times as many bytes). */
const CHUNK_CHARS = 16 * 1024;
