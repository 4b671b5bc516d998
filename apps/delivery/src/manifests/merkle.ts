import { createHash } from 'node:crypto';

export interface MerkleFile {
  path: string;
  size: number;
  sha256: string;
}

const sha256 = (...parts: Buffer[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** Files in manifest order: by path, comparing the UTF-8 bytes (what `LC_ALL=C sort` does). */
export function sortFiles<F extends { path: string }>(files: readonly F[]): F[] {
  return [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8')));
}

/** leaf = SHA-256(0x00 || UTF-8 of `<path>\n<size in decimal>\n<sha256 in lowercase hex>`). */
export function leafHash(file: MerkleFile): Buffer {
  return sha256(Buffer.from([0]), Buffer.from(`${file.path}\n${file.size}\n${file.sha256}`, 'utf8'));
}

/** node = SHA-256(0x01 || left || right), over the 32-byte digests. */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.from([1]), left, right);
}

/**
 * The Merkle root of a version's files, hex: leaves in path order, paired left to right level by
 * level; a last node without a partner goes up unchanged. No files: SHA-256 of nothing.
 */
export function merkleRoot(files: readonly MerkleFile[]): string {
  let level = sortFiles(files).map(leafHash);
  if (level.length === 0) return sha256().toString('hex');
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0].toString('hex');
}

/**
 * The same root as `merkleRoot`, built from files given one at a time in manifest order, holding
 * one digest per level (about 20 for a million files) instead of every file. Pairing level by
 * level with a lone last node carried up unchanged is the same tree as completing each pair as
 * soon as both halves exist, then joining what is left from the right.
 */
export class MerkleBuilder {
  /** The complete subtree waiting for a partner at each level, if any. */
  private readonly pending: (Buffer | undefined)[] = [];
  private last: Buffer | undefined;
  private count = 0;

  get files(): number {
    return this.count;
  }

  /** Adds the next file; throws when it does not come after the previous one in manifest order. */
  add(file: MerkleFile): void {
    const path = Buffer.from(file.path, 'utf8');
    if (this.last && Buffer.compare(this.last, path) >= 0) throw new Error(`files out of manifest order: ${file.path} after ${this.last.toString('utf8')}`);
    this.last = path;
    this.count++;
    let node = leafHash(file);
    let level = 0;
    for (let left = this.pending[level]; left; left = this.pending[level]) {
      node = nodeHash(left, node);
      this.pending[level++] = undefined;
    }
    this.pending[level] = node;
  }

  root(): string {
    let node: Buffer | undefined;
    for (const subtree of this.pending) {
      if (!subtree) continue;
      node = node ? nodeHash(subtree, node) : subtree;
    }
    return (node ?? sha256()).toString('hex');
  }
}

/** What the root signature covers: `trove-manifest-v1\n<datasetId>\n<versionId>\n<root>`. */
export function rootStatement(datasetId: string, versionId: string, root: string): string {
  return `trove-manifest-v1\n${datasetId}\n${versionId}\n${root}`;
}
