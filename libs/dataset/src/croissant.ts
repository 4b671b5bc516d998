import type { DatasetMetadata } from './metadata';
import type { ComponentModality, Modality } from './vocabulary';

/**
 * The JSON-LD context of MLCommons Croissant 1.0 (with its RAI vocabulary), as the spec gives it
 * but for `"@language": "en"`: listings are in Chinese as often as in English, and a wrong
 * language tag on every string is worse than none.
 */
export const CROISSANT_CONTEXT = {
  '@vocab': 'https://schema.org/',
  sc: 'https://schema.org/',
  cr: 'http://mlcommons.org/croissant/',
  rai: 'http://mlcommons.org/croissant/RAI/',
  dct: 'http://purl.org/dc/terms/',
  citeAs: 'cr:citeAs',
  column: 'cr:column',
  conformsTo: 'dct:conformsTo',
  data: { '@id': 'cr:data', '@type': '@json' },
  dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
  examples: { '@id': 'cr:examples', '@type': '@json' },
  extract: 'cr:extract',
  field: 'cr:field',
  fileProperty: 'cr:fileProperty',
  fileObject: 'cr:fileObject',
  fileSet: 'cr:fileSet',
  format: 'cr:format',
  includes: 'cr:includes',
  isLiveDataset: 'cr:isLiveDataset',
  jsonPath: 'cr:jsonPath',
  key: 'cr:key',
  md5: 'cr:md5',
  parentField: 'cr:parentField',
  path: 'cr:path',
  recordSet: 'cr:recordSet',
  references: 'cr:references',
  regex: 'cr:regex',
  repeated: 'cr:repeated',
  replace: 'cr:replace',
  separator: 'cr:separator',
  source: 'cr:source',
  subField: 'cr:subField',
  transform: 'cr:transform',
} as const;

export const CROISSANT_CONFORMS_TO = 'http://mlcommons.org/croissant/1.0';

/**
 * Media types by file extension, by their IANA-registered names (`audio/wav`, `audio/flac`);
 * anything else is application/octet-stream.
 */
export const ENCODING_FORMATS: Readonly<Record<string, string>> = {
  wav: 'audio/wav',
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  m4a: 'audio/mp4',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
  json: 'application/json',
  jsonl: 'application/jsonlines',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  md: 'text/markdown',
  textgrid: 'text/plain',
  srt: 'application/x-subrip',
  xml: 'application/xml',
  pdf: 'application/pdf',
  parquet: 'application/x-parquet',
  zip: 'application/zip',
  tar: 'application/x-tar',
  gz: 'application/gzip',
  pcd: 'application/octet-stream',
  las: 'application/vnd.las',
  laz: 'application/vnd.laszip',
};

/**
 * Other names in use for a media type the card names (`ENCODING_FORMATS`): `mime-types`, which
 * types a sample sent without a type, calls a `.wav` `audio/wave` and a `.flac` `audio/x-flac`;
 * tools send `audio/x-wav` and `audio/vnd.wave`. A sample recorded under one of them was served
 * as `audio/wave` while the card said `audio/wav`.
 */
const MEDIA_TYPE_ALIASES: Readonly<Record<string, string>> = {
  'audio/wave': 'audio/wav',
  'audio/x-wav': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-pn-wav': 'audio/wav',
  'audio/x-flac': 'audio/flac',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
};

/**
 * A media type by the name the card gives it: lower-cased, and `audio/wav` for `audio/wave`,
 * `audio/x-wav` and `audio/vnd.wave` (the other aliases likewise); any other type as it is.
 */
export function canonicalMediaType(type: string): string {
  const lower = type.toLowerCase();
  return MEDIA_TYPE_ALIASES[lower] ?? lower;
}

export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function encodingFormatOf(path: string): string {
  return ENCODING_FORMATS[extensionOf(path)] ?? 'application/octet-stream';
}

/** A dataset as the card describes it: its listing, the released version and its licenses. */
export interface CroissantDataset {
  id: string;
  title: string;
  description: string;
  /** The dataset's public page or API address. */
  url?: string;
  /**
   * Who publishes it: its organization's id always, with the vendor profile's display name and
   * site when it has a profile (without one, whoever serves the card names the organization).
   */
  vendor: { organizationId: string; name?: string; url?: string };
  metadata: Pick<DatasetMetadata, 'modality' | 'domain' | 'formats'> &
    Partial<Pick<DatasetMetadata, 'languages' | 'tags' | 'annotationTypes' | 'collection' | 'compliance' | 'multimodal'>>;
  /** The released version the files belong to (`1.0.0`); absent while nothing is released. */
  version?: string;
  /**
   * One per license offered: its name, and where to read it (an open license's canonical URL,
   * or the listing's page, whose offers state the terms).
   */
  licenses: CroissantLicense[];
  datePublished?: Date | string;
  dateModified?: Date | string;
}

/** A license a dataset is offered under, as the card names it. */
export interface CroissantLicense {
  name: string;
  url?: string;
}

/** One file of the released version, as the manifest lists it. */
export interface CroissantFile {
  path: string;
  size: number;
  sha256: string;
  /** Where a buyer gets it: the gateway route that sends an entitled buyer on to a signed URL. */
  url: string;
}

type JsonLd = Record<string, unknown>;

interface MediaKind {
  component: ComponentModality;
  fileSet: string;
  recordSet: string;
  field: string;
  dataType: string;
  description: string;
  extensions: readonly string[];
}

/** Modalities whose files form records on their own: one record per media file. */
const MEDIA_KINDS: readonly MediaKind[] = [
  { component: 'speech', fileSet: 'audio-files', recordSet: 'audio', field: 'audio', dataType: 'sc:AudioObject', description: 'One record per audio file', extensions: ['wav', 'flac', 'mp3', 'ogg', 'opus', 'm4a'] },
  { component: 'image', fileSet: 'image-files', recordSet: 'images', field: 'image', dataType: 'sc:ImageObject', description: 'One record per image', extensions: ['jpg', 'jpeg', 'png', 'webp', 'bmp', 'tif', 'tiff'] },
  { component: 'video', fileSet: 'video-files', recordSet: 'videos', field: 'video', dataType: 'sc:VideoObject', description: 'One record per video clip', extensions: ['mp4', 'mov', 'mkv', 'webm', 'avi'] },
];

/** Speech transcripts follow a naming convention: `*transcript*.jsonl|csv|tsv` with `path` and `text`. */
const TRANSCRIPT = /transcript[^/]*\.(jsonl|csv|tsv)$/i;

function isoDate(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return (typeof value === 'string' ? new Date(value) : value).toISOString().slice(0, 10);
}

function components(metadata: CroissantDataset['metadata']): readonly Modality[] {
  return metadata.modality === 'multimodal' ? (metadata.multimodal?.components ?? []) : [metadata.modality];
}

/**
 * A file's node id: `files/` and its path percent-encoded, so that a path is a valid relative IRI
 * (a space, `#`, `?`) and no file can take the id of a file set or record set (`records`).
 */
function fileId(path: string): string {
  return `files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function fileObject(file: CroissantFile): JsonLd {
  return {
    '@type': 'cr:FileObject',
    '@id': fileId(file.path),
    name: file.path,
    contentUrl: file.url,
    encodingFormat: encodingFormatOf(file.path),
    contentSize: `${file.size} B`,
    sha256: file.sha256,
  };
}

/**
 * One file set and record set per media type of the kind (a file set has one encodingFormat):
 * `images` for a set of JPEGs, `images-jpeg` and `images-png` when both are there.
 */
function mediaRecordSets(kind: MediaKind, files: readonly CroissantFile[]): { fileSets: JsonLd[]; recordSets: JsonLd[] } {
  const extensions = [...new Set(files.map((f) => extensionOf(f.path)))].filter((ext) => kind.extensions.includes(ext)).sort();
  // The media types of the files the card lists, in the order of their first extension.
  const formats = [...new Set(extensions.map((ext) => ENCODING_FORMATS[ext]))];
  const fileSets: JsonLd[] = [];
  const recordSets: JsonLd[] = [];
  for (const format of formats) {
    const suffix = formats.length === 1 ? '' : `-${format.slice(format.indexOf('/') + 1).replace(/^x-/, '')}`;
    const fileSetId = `${kind.fileSet}${suffix}`;
    const recordSetId = `${kind.recordSet}${suffix}`;
    fileSets.push({
      '@type': 'cr:FileSet',
      '@id': fileSetId,
      name: fileSetId,
      encodingFormat: format,
      includes: includesOf(format),
    });
    const field = (name: string, dataType: string, fileProperty: string, description: string): JsonLd => ({
      '@type': 'cr:Field',
      '@id': `${recordSetId}/${name}`,
      name: `${recordSetId}/${name}`,
      description,
      dataType,
      source: { fileSet: { '@id': fileSetId }, extract: { fileProperty } },
    });
    recordSets.push({
      '@type': 'cr:RecordSet',
      '@id': recordSetId,
      name: recordSetId,
      description: kind.description,
      key: { '@id': `${recordSetId}/path` },
      field: [field('path', 'sc:Text', 'fullpath', 'Path of the file in the dataset'), field(kind.field, kind.dataType, 'content', 'The file itself')],
    });
  }
  return { fileSets, recordSets };
}

function transcriptRecordSet(file: CroissantFile): JsonLd {
  const jsonl = extensionOf(file.path) === 'jsonl';
  const field = (name: string, description: string): JsonLd => ({
    '@type': 'cr:Field',
    '@id': `transcripts/${name}`,
    name: `transcripts/${name}`,
    description,
    dataType: 'sc:Text',
    source: { fileObject: { '@id': fileId(file.path) }, extract: jsonl ? { jsonPath: `$.${name}` } : { column: name } },
  });
  return {
    '@type': 'cr:RecordSet',
    '@id': 'transcripts',
    name: 'transcripts',
    description: 'One record per utterance: the audio file it belongs to and its transcription',
    field: [field('path', 'Path of the audio file'), field('text', 'The transcription')],
  };
}

/**
 * A file set's glob patterns: one per extension its media type is told by, matching the
 * extension in any case (`[jJ][pP][gG]` takes `A.JPG` and `b.jpg`), since a glob is
 * case-sensitive while the media type was told from the extension in any case, and the card may
 * list only some of the files.
 */
function includesOf(format: string): string[] {
  return Object.keys(ENCODING_FORMATS)
    .filter((ext) => ENCODING_FORMATS[ext] === format)
    .sort()
    .map((ext) => `**/*.${[...ext].map((c) => (c.toLowerCase() === c.toUpperCase() ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`)).join('')}`);
}

function textRecordSet(files: readonly CroissantFile[]): { fileSets: JsonLd[]; recordSets: JsonLd[] } {
  if (!files.some((f) => extensionOf(f.path) === 'jsonl')) return { fileSets: [], recordSets: [] };
  return {
    fileSets: [{ '@type': 'cr:FileSet', '@id': 'jsonl-files', name: 'jsonl-files', encodingFormat: 'application/jsonlines', includes: includesOf(ENCODING_FORMATS.jsonl) }],
    recordSets: [
      {
        '@type': 'cr:RecordSet',
        '@id': 'records',
        name: 'records',
        description: 'One record per JSON line (a document, an SFT pair, a conversation)',
        field: [
          {
            '@type': 'cr:Field',
            '@id': 'records/line',
            name: 'records/line',
            description: 'The JSON object on one line',
            dataType: 'sc:Text',
            source: { fileSet: { '@id': 'jsonl-files' }, extract: { fileProperty: 'lines' } },
          },
        ],
      },
    ],
  };
}

function responsibleAi(metadata: CroissantDataset['metadata']): JsonLd {
  const rai: JsonLd = {};
  if (metadata.collection) {
    rai['rai:dataCollection'] = metadata.collection.methods.join(', ');
    const period = metadata.collection.period;
    if (period) rai['rai:dataCollectionTimeframe'] = period.to ? [period.from, period.to] : [period.from];
  }
  if (metadata.compliance) {
    const c = metadata.compliance;
    rai['rai:personalSensitiveInformation'] =
      `personal information: ${c.personalInformation.join(', ')}; legal basis: ${c.legalBasis}; ` +
      `de-identification: ${c.deidentification.join(', ')}; cross-border transfer: ${c.crossBorderTransfer}`;
  }
  return rai;
}

/**
 * The dataset card as MLCommons Croissant 1.0 JSON-LD: metadata, one FileObject per file with
 * its SHA-256, and record sets where the files make records (audio, images and videos one per
 * file, speech transcripts, JSON lines). Point clouds have no record set: no Croissant data
 * type describes them yet.
 */
export function toCroissant(dataset: CroissantDataset, files: readonly CroissantFile[]): JsonLd {
  const { metadata } = dataset;
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const fileSets: JsonLd[] = [];
  const recordSets: JsonLd[] = [];
  const add = (part: { fileSets: JsonLd[]; recordSets: JsonLd[] }) => {
    fileSets.push(...part.fileSets);
    recordSets.push(...part.recordSets);
  };
  const parts = components(metadata);
  for (const kind of MEDIA_KINDS) if (parts.includes(kind.component)) add(mediaRecordSets(kind, sorted));
  if (parts.includes('speech')) {
    const transcript = sorted.find((f) => TRANSCRIPT.test(f.path));
    if (transcript) recordSets.push(transcriptRecordSet(transcript));
  }
  if (parts.includes('text') || parts.includes('dialogue')) add(textRecordSet(sorted));

  const keywords = [...new Set([...(metadata.tags ?? []), metadata.modality, metadata.domain, ...(metadata.annotationTypes ?? [])])];
  const card: JsonLd = {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    '@id': dataset.url ?? `urn:trove:dataset:${dataset.id}`,
    conformsTo: CROISSANT_CONFORMS_TO,
    name: dataset.title,
    description: dataset.description,
    url: dataset.url,
    // Croissant requires a license: a listing with no open offer now (its offers expired or were
    // withdrawn, are private to other buyers, or a live exclusive sale blocks them) is licensed
    // per offer, on its page. Always a list of CreativeWorks, one or several, so a reader parses
    // one shape.
    license: (dataset.licenses.length === 0 ? [{ name: 'Licensed per offer: none open now', url: dataset.url }] : dataset.licenses).map((license) => ({
      '@type': 'sc:CreativeWork',
      name: license.name,
      url: license.url,
    })),
    creator: { '@type': 'sc:Organization', identifier: dataset.vendor.organizationId, name: dataset.vendor.name, url: dataset.vendor.url },
    keywords,
    inLanguage: metadata.languages ?? [],
    datePublished: isoDate(dataset.datePublished),
    dateModified: isoDate(dataset.dateModified),
    // Croissant's version is recommended, not required: before a release there is none to name.
    version: dataset.version,
    ...responsibleAi(metadata),
    distribution: [...sorted.map(fileObject), ...fileSets],
    recordSet: recordSets,
  };
  return JSON.parse(JSON.stringify(card)) as JsonLd; // drops the undefined optional values
}
