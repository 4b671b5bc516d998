import 'reflect-metadata';
import { CROISSANT_CONFORMS_TO, toCroissant, type CroissantDataset, type CroissantFile } from './croissant';
import { exampleMetadata } from './metadata.examples';
import { validateDatasetMetadata } from './validate';
import type { Modality } from './vocabulary';

type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function dataset(modality: Modality, overrides: Partial<CroissantDataset> = {}): CroissantDataset {
  const result = validateDatasetMetadata(exampleMetadata(modality));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return {
    id: '3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10',
    title: '粤语与普通话客服通话语音数据集 / Cantonese and Mandarin Call-Centre Speech',
    description: '1,505 小时电话客服对话录音，句准确率 98%。1,505 hours of call-centre conversations, 98 % sentence accuracy.',
    url: 'http://localhost:3000/v1/datasets/3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10',
    vendor: { organizationId: '5b0f3a52-6d1e-4c8a-9f27-0e6b1c4d2a71', name: '声迅数据（深圳）有限公司 / Shengxun Data (Shenzhen) Co., Ltd.', url: 'https://shengxun-data.example.cn' },
    metadata: result.metadata,
    version: '1.2.0',
    licenses: [{ name: '商用许可 / Commercial license', url: 'http://localhost:3000/v1/datasets/3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10' }],
    datePublished: new Date('2024-07-15T08:30:00Z'),
    ...overrides,
  };
}

const sha = (n: number) => n.toString(16).padStart(64, 'a');
const file = (path: string, size: number, n: number): CroissantFile => ({ path, size, sha256: sha(n), url: `http://localhost:3004/files/${path}` });

const SPEECH_FILES = [
  file('audio/spk0001/utt0001.wav', 256_044, 1),
  file('audio/spk0001/utt0002.wav', 198_316, 2),
  file('transcripts.jsonl', 10_240, 3),
  file('README.md', 2048, 4),
];

function ids(card: Node): Set<string> {
  return new Set((card.distribution as Node[]).map((node) => node['@id']));
}

describe('toCroissant', () => {
  const card = toCroissant(dataset('speech'), SPEECH_FILES) as Node;

  it('is a Croissant 1.0 dataset in JSON-LD', () => {
    expect(card['@type']).toBe('sc:Dataset');
    expect(card.conformsTo).toBe(CROISSANT_CONFORMS_TO);
    expect(card['@context']).toMatchObject({
      '@vocab': 'https://schema.org/',
      sc: 'https://schema.org/',
      cr: 'http://mlcommons.org/croissant/',
      dct: 'http://purl.org/dc/terms/',
      conformsTo: 'dct:conformsTo',
      recordSet: 'cr:recordSet',
      field: 'cr:field',
      fileObject: 'cr:fileObject',
      fileSet: 'cr:fileSet',
      source: 'cr:source',
      extract: 'cr:extract',
      fileProperty: 'cr:fileProperty',
      includes: 'cr:includes',
      dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
      data: { '@id': 'cr:data', '@type': '@json' },
    });
  });

  it('carries the listing: name, description, creator, license, keywords, languages, dates, version', () => {
    expect(card).toMatchObject({
      name: '粤语与普通话客服通话语音数据集 / Cantonese and Mandarin Call-Centre Speech',
      description: expect.stringContaining('1,505'),
      url: 'http://localhost:3000/v1/datasets/3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10',
      license: [{ '@type': 'sc:CreativeWork', name: '商用许可 / Commercial license', url: 'http://localhost:3000/v1/datasets/3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10' }],
      creator: { '@type': 'sc:Organization', identifier: '5b0f3a52-6d1e-4c8a-9f27-0e6b1c4d2a71', name: expect.stringContaining('Shengxun'), url: 'https://shengxun-data.example.cn' },
      inLanguage: ['zh-CN', 'yue'],
      datePublished: '2024-07-15',
      version: '1.2.0',
    });
    expect(card.keywords).toEqual(expect.arrayContaining(['普通话', '粤语', 'speech', 'telecom', 'transcription']));
  });

  it('says where the data came from and what personal information it holds (Croissant RAI)', () => {
    expect(card['rai:dataCollection']).toBe('crowdsourced_recording');
    expect(card['rai:dataCollectionTimeframe']).toEqual(['2023-03-01', '2024-06-30']);
    expect(card['rai:personalSensitiveInformation']).toContain('voice');
    expect(card['rai:personalSensitiveInformation']).toContain('cross-border transfer: restricted');
  });

  it('lists every file once with its URL, media type, size and SHA-256', () => {
    const objects = (card.distribution as Node[]).filter((node) => node['@type'] === 'cr:FileObject');
    expect(objects).toHaveLength(SPEECH_FILES.length);
    expect(objects.find((o) => o.name === 'audio/spk0001/utt0001.wav')).toEqual({
      '@type': 'cr:FileObject',
      '@id': 'files/audio/spk0001/utt0001.wav',
      name: 'audio/spk0001/utt0001.wav',
      contentUrl: 'http://localhost:3004/files/audio/spk0001/utt0001.wav',
      encodingFormat: 'audio/wav',
      contentSize: '256044 B',
      sha256: sha(1),
    });
    expect(objects.find((o) => o.name === 'transcripts.jsonl')?.encodingFormat).toBe('application/jsonlines');
    expect(objects.find((o) => o.name === 'README.md')?.encodingFormat).toBe('text/markdown');
  });

  it('gives speech an audio record set and a transcription record set', () => {
    const sets = card.recordSet as Node[];
    expect(sets.map((s) => s.name)).toEqual(['audio', 'transcripts']);
    const audio = sets[0];
    expect(audio.field.map((f: Node) => [f.name, f.dataType])).toEqual([
      ['audio/path', 'sc:Text'],
      ['audio/audio', 'sc:AudioObject'],
    ]);
    const transcripts = sets[1];
    expect(transcripts.field.map((f: Node) => [f.name, f.source])).toEqual([
      ['transcripts/path', { fileObject: { '@id': 'files/transcripts.jsonl' }, extract: { jsonPath: '$.path' } }],
      ['transcripts/text', { fileObject: { '@id': 'files/transcripts.jsonl' }, extract: { jsonPath: '$.text' } }],
    ]);
    const audioFiles = (card.distribution as Node[]).find((n) => n['@id'] === 'audio-files');
    expect(audioFiles).toMatchObject({ '@type': 'cr:FileSet', encodingFormat: 'audio/wav', includes: ['**/*.[wW][aA][vV]'] });
  });

  it('points every field at a file object or file set of the card, and no two nodes share an @id', () => {
    const known = ids(card);
    const fields = (card.recordSet as Node[]).flatMap((s) => s.field as Node[]);
    for (const field of fields) {
      const target = field.source.fileObject?.['@id'] ?? field.source.fileSet?.['@id'];
      expect(known.has(target)).toBe(true);
    }
    const all = [...(card.distribution as Node[]), ...(card.recordSet as Node[]), ...fields].map((n) => n['@id']);
    expect(new Set(all).size).toBe(all.length);
  });

  it('gives files ids that are valid relative IRIs and cannot take the id of a set', () => {
    const awkward = toCroissant(dataset('text'), [file('records', 10, 1), file('第 1 批/问答#1?.jsonl', 10, 2)]) as Node;
    const objects = (awkward.distribution as Node[]).filter((n) => n['@type'] === 'cr:FileObject');
    expect(objects.map((n) => [n['@id'], n.name])).toEqual([
      ['files/records', 'records'],
      [`files/${encodeURIComponent('第 1 批')}/${encodeURIComponent('问答#1?.jsonl')}`, '第 1 批/问答#1?.jsonl'],
    ]);
    const all = [...(awkward.distribution as Node[]), ...(awkward.recordSet as Node[])].map((n) => n['@id']);
    expect(new Set(all).size).toBe(all.length);
  });

  it('gives each media type a file set of its own, since a file set has one encodingFormat', () => {
    const mixed = toCroissant(dataset('image'), [file('a.jpg', 1, 1), file('b.jpeg', 1, 2), file('c.png', 1, 3)]) as Node;
    const sets = (mixed.distribution as Node[]).filter((n) => n['@type'] === 'cr:FileSet');
    expect(sets.map((s) => [s['@id'], s.encodingFormat, s.includes])).toEqual([
      ['image-files-jpeg', 'image/jpeg', ['**/*.[jJ][pP][eE][gG]', '**/*.[jJ][pP][gG]']],
      ['image-files-png', 'image/png', ['**/*.[pP][nN][gG]']],
    ]);
    expect(mixed.recordSet[1].field[1].source).toEqual({ fileSet: { '@id': 'image-files-png' }, extract: { fileProperty: 'content' } });
  });

  it('matches every file of a set whatever the case of its extension: a glob is case-sensitive', () => {
    const files = ['img/A.JPG', 'img/b.jpg', 'img/c.jpeg', 'img/d.Png', 'img/e.JPEG'];
    const card = toCroissant(dataset('image'), [...files.map((path, i) => file(path, 1, i)), file('labels.csv', 1, 9)]) as Node;
    const sets = (card.distribution as Node[]).filter((n) => n['@type'] === 'cr:FileSet');
    // Each set's patterns, as a glob reads them, take exactly its files.
    const matches = (includes: string[], path: string) =>
      includes.some((glob) => new RegExp(`^(.*/)?${glob.replace('**/', '').replace('*', '[^/]*').replaceAll('.', '\\.')}$`).test(path));
    expect(sets.map((s) => [s['@id'], files.filter((path) => matches(s.includes as string[], path))])).toEqual([
      ['image-files-jpeg', ['img/A.JPG', 'img/b.jpg', 'img/c.jpeg', 'img/e.JPEG']],
      ['image-files-png', ['img/d.Png']],
    ]);
    const text = toCroissant(dataset('text'), [file('sft/train.JSONL', 1, 1), file('sft/dev.jsonl', 1, 2)]) as Node;
    expect((text.distribution as Node[]).find((n) => n['@id'] === 'jsonl-files')?.includes).toEqual(['**/*.[jJ][sS][oO][nN][lL]']);
  });

  it('reads CSV transcripts by column', () => {
    const csv = toCroissant(dataset('speech'), [file('a.wav', 10, 1), file('meta/transcripts-train.csv', 10, 2)]) as Node;
    expect(csv.recordSet[1].field[1].source).toEqual({ fileObject: { '@id': 'files/meta/transcripts-train.csv' }, extract: { column: 'text' } });
  });

  it.each<[Modality, CroissantFile[], string[]]>([
    ['image', [file('images/shelf_000001.jpg', 812_345, 1), file('images/shelf_000002.JPEG', 790_000, 2), file('labels.json', 4096, 3)], ['images']],
    ['image', [file('images/shelf_000001.jpg', 812_345, 1), file('images/shelf_000002.png', 1_024_000, 2)], ['images-jpeg', 'images-png']],
    ['speech', [file('a/0001.wav', 256_000, 1), file('b/0001.flac', 120_000, 2)], ['audio-flac', 'audio-wav']],
    ['video', [file('clips/drive_0001.mp4', 48_000_000, 1)], ['videos']],
    ['text', [file('sft/finance_qa.jsonl', 1_500_000, 1)], ['records']],
    ['dialogue', [file('dialogues.jsonl', 9_000_000, 1)], ['records']],
    ['multimodal', [file('images/0001.jpg', 90_000, 1), file('captions.jsonl', 20_000, 2)], ['images', 'records']],
    ['point_cloud', [file('lidar/000001.pcd', 2_400_000, 1), file('labels/000001.json', 8_000, 2)], []],
    ['speech', [file('archive.zip', 1_000_000, 1)], []],
  ])('gives a %s dataset the record sets its files allow', (modality, files, recordSets) => {
    const result = toCroissant(dataset(modality), files) as Node;
    expect((result.recordSet as Node[]).map((s) => s.name)).toEqual(recordSets);
    expect((result.distribution as Node[]).filter((n) => n['@type'] === 'cr:FileObject')).toHaveLength(files.length);
  });

  it('names a license when no offer is open, since Croissant requires one, in the shape of any other', () => {
    const result = toCroissant(dataset('speech', { licenses: [] }), []) as Node;
    expect(result.license).toEqual([{ '@type': 'sc:CreativeWork', name: 'Licensed per offer: none open now', url: dataset('speech').url }]);
  });

  it('gives the license one shape however many offers are open: a list of CreativeWorks', () => {
    const open = { name: 'Creative Commons Attribution 4.0 International', url: 'https://creativecommons.org/licenses/by/4.0/' };
    for (const licenses of [[], [open], [open, { name: '商用许可 / Commercial license', url: dataset('speech').url }]]) {
      const license = toCroissant(dataset('speech', { licenses }), []).license as Node[];
      expect(Array.isArray(license)).toBe(true);
      for (const work of license) expect(Object.keys(work).sort()).toEqual(['@type', 'name', 'url']);
    }
  });

  it('names no version when nothing is released, rather than one that does not exist', () => {
    const result = toCroissant(dataset('speech', { version: undefined }), []) as Node;
    expect(result).not.toHaveProperty('version');
  });

  it('lists several licenses, leaves out what it does not know, and is plain JSON', () => {
    const result = toCroissant(
      dataset('image', {
        url: undefined,
        datePublished: undefined,
        licenses: [{ name: 'Creative Commons Attribution 4.0 International', url: 'https://creativecommons.org/licenses/by/4.0/' }, { name: '商用许可 / Commercial license' }],
      }),
      [],
    ) as Node;
    expect(result.license).toEqual([
      { '@type': 'sc:CreativeWork', name: 'Creative Commons Attribution 4.0 International', url: 'https://creativecommons.org/licenses/by/4.0/' },
      { '@type': 'sc:CreativeWork', name: '商用许可 / Commercial license' },
    ]);
    expect(result['@id']).toBe('urn:trove:dataset:3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10');
    expect('url' in result).toBe(false);
    expect('datePublished' in result).toBe(false);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});
