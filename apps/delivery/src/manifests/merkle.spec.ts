import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { ManifestSigner } from './manifest-signer';
import { leafHash, MerkleBuilder, merkleRoot, nodeHash, sortFiles } from './merkle';

const h = (text: string) => createHash('sha256').update(text).digest('hex');
const files = [
  { path: 'transcripts/train.jsonl', size: 1204, sha256: h('train') },
  { path: 'README.md', size: 88, sha256: h('readme') },
  { path: 'audio/zh-CN/普通话_0001.wav', size: 3145745, sha256: h('wav') },
];

describe('merkleRoot', () => {
  it('hashes leaves in UTF-8 path order, pairs them, and carries a lone last node up', () => {
    const [readme, audio, train] = ['README.md', 'audio/zh-CN/普通话_0001.wav', 'transcripts/train.jsonl'].map((p) => leafHash(files.find((f) => f.path === p)!));
    expect(merkleRoot(files)).toBe(nodeHash(nodeHash(readme, audio), train).toString('hex'));
  });

  it('defines the leaf as SHA-256(0x00 || path \\n size \\n sha256)', () => {
    const f = files[1];
    expect(leafHash(f).toString('hex')).toBe(createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(`${f.path}\n${f.size}\n${f.sha256}`)])).digest('hex'));
  });

  it('does not depend on the order files are listed in, and changes with any file', () => {
    expect(merkleRoot([...files].reverse())).toBe(merkleRoot(files));
    expect(merkleRoot([{ ...files[0], size: 1205 }, files[1], files[2]])).not.toBe(merkleRoot(files));
    expect(merkleRoot(files.slice(0, 2))).not.toBe(merkleRoot(files));
  });

  it('gives SHA-256 of nothing for a version without files', () => {
    expect(merkleRoot([])).toBe(h(''));
  });
});

describe('MerkleBuilder', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `audio/说话人_${String(i).padStart(4, '0')}.wav`, size: 1000 + i, sha256: h(String(i)) }));

  it('gives the root merkleRoot gives, for every number of files from 0 to 300', () => {
    for (let n = 0; n <= 300; n++) {
      const builder = new MerkleBuilder();
      for (const file of sortFiles(many(n))) builder.add(file);
      expect({ n, root: builder.root(), files: builder.files }).toEqual({ n, root: merkleRoot(many(n)), files: n });
    }
  });

  it('refuses a file out of manifest order, or the same path twice', () => {
    const builder = new MerkleBuilder();
    builder.add(files[1]);
    expect(() => builder.add(files[1])).toThrow(/out of manifest order/);
    expect(() => builder.add({ ...files[0], path: 'Ω.txt' })).not.toThrow();
    expect(() => builder.add(files[2])).toThrow(/out of manifest order/);
  });
});

describe('ManifestSigner', () => {
  const signer = new ManifestSigner([{ id: 'kid1', secret: randomBytes(32) }]);
  const root = merkleRoot(files);
  const datasetId = '0b6f3c1e-4f7a-4d0e-9d1c-2a1f5e8b7c90';
  const versionId = '5d2c9a4e-1b3f-4c6d-8e7f-9a0b1c2d3e4f';

  it('signs a root that verifies with its public key, and only that root for that version', () => {
    const signature = signer.sign(datasetId, versionId, root);
    expect(signature).toMatchObject({ alg: 'Ed25519', kid: 'kid1' });
    expect(Buffer.from(signature.publicKey, 'base64')).toHaveLength(32);
    expect(signer.verify(datasetId, versionId, root, signature)).toBe(true);
    expect(signer.verify(datasetId, versionId, h('other'), signature)).toBe(false);
    expect(signer.verify(datasetId, datasetId, root, signature)).toBe(false);
  });
});
