import 'reflect-metadata';
import fc from 'fast-check';
import { exampleMetadata } from './metadata.examples';
import { validateDatasetMetadata, type FieldProblem } from './validate';
import { MODALITIES, type Modality } from './vocabulary';

/** The example of `modality` with `changes` applied at dotted paths (undefined deletes). */
function metadataWith(modality: Modality, changes: Record<string, unknown>): Record<string, unknown> {
  const metadata = exampleMetadata(modality);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node = metadata as Record<string, unknown>;
    for (const key of keys) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return metadata;
}

function problemsOf(input: unknown): FieldProblem[] {
  const result = validateDatasetMetadata(input);
  return result.ok ? [] : result.problems;
}

describe('validateDatasetMetadata', () => {
  it.each(MODALITIES)('accepts a realistic %s listing', (modality) => {
    expect(problemsOf(exampleMetadata(modality))).toEqual([]);
  });

  it.each<[string, Modality, Record<string, unknown>]>([
    ['a dataset without languages (images with no text)', 'image', { languages: undefined }],
    ['a collection still going on', 'video', { 'collection.period.to': undefined }],
    ['hours with two decimals', 'speech', { 'speech.hours': 0.25 }],
    ['zero volumes', 'speech', { 'speech.hours': 0, 'speech.utterances': 0 }],
    ['shares adding up to exactly 1', 'speech', { 'speech.genderMix': { female: 0.3, male: 0.7 } }],
    ['a one-day collection', 'text', { 'collection.period': { from: '2024-05-01', to: '2024-05-01' } }],
    ['Chinese varieties ICU does not name', 'speech', { languages: ['cdo', 'cjy', 'hak', 'nan', 'wuu', 'hsn'] }],
    ['sensitive data under a statutory duty', 'video', {}],
    ['registration numbers with slashes', 'speech', { 'compliance.registrations': [{ exchange: '深圳数据交易所', number: 'SZDE/2024/0042' }] }],
  ])('accepts %s', (_case, modality, changes) => {
    expect(problemsOf(metadataWith(modality, changes))).toEqual([]);
  });

  it.each<[string, Modality, Record<string, unknown>, string[]]>([
    ['an unknown modality', 'speech', { modality: 'audio' }, ['modality']],
    ['a garbage language tag', 'speech', { languages: ['zh-CN', 'chinese!'] }, ['languages']],
    ['an underscore locale', 'speech', { languages: ['en_US'] }, ['languages']],
    ['an unknown language', 'speech', { languages: ['xx'] }, ['languages']],
    ['a private-use language', 'speech', { languages: ['qaa'] }, ['languages']],
    ['the same language twice after canonicalization', 'speech', { languages: ['zh-CN', 'zh-cn'] }, ['languages']],
    ['an unknown domain', 'speech', { domain: 'crypto' }, ['domain']],
    ['an unknown annotation type', 'image', { annotationTypes: ['boxes'] }, ['annotationTypes']],
    ['negative hours', 'speech', { 'speech.hours': -1 }, ['speech.hours']],
    ['hours with three decimals', 'speech', { 'speech.hours': 1.125 }, ['speech.hours']],
    ['a fractional utterance count', 'speech', { 'speech.utterances': 10.5 }, ['speech.utterances']],
    ['a negative image count', 'image', { 'image.images': -3 }, ['image.images']],
    ['a count as a string', 'text', { 'text.tokens': '410000000' }, ['text.tokens']],
    ['a ratio above 1', 'image', { 'image.annotationAccuracy': 1.2 }, ['image.annotationAccuracy']],
    ['accuracy as a percentage', 'speech', { 'speech.transcription.accuracy': 98 }, ['speech.transcription.accuracy']],
    ['shares adding up to more than 1', 'speech', { 'speech.genderMix': { female: 0.7, male: 0.7 } }, ['speech.genderMix']],
    ['an unusual bit depth', 'speech', { 'speech.bitDepth': 12 }, ['speech.bitDepth']],
    ['a zero-pixel resolution', 'image', { 'image.minResolution': { width: 0, height: 720 } }, ['image.minResolution.width']],
    ['an unknown field at the top', 'speech', { status: 'published' }, ['status']],
    ['vendorId smuggled in', 'speech', { vendorId: '0b9c1c84-3f4c-4a55-a1c4-6f1f6f3b0e11' }, ['vendorId']],
    ['an unknown field in a profile', 'speech', { 'speech.price': 100 }, ['speech.price']],
    ['an unknown field in compliance', 'speech', { 'compliance.approved': true }, ['compliance.approved']],
    ['a speech dataset without its profile', 'speech', { speech: undefined }, ['speech']],
    ['a speech dataset carrying image figures', 'speech', { image: { images: 3 } }, ['image']],
    ['a multimodal dataset without a component profile', 'multimodal', { text: undefined }, ['text']],
    ['a multimodal dataset of one component (its text profile then belongs nowhere)', 'multimodal', { 'multimodal.components': ['image'] }, ['text', 'multimodal.components']],
    ['a period ending before it starts', 'text', { 'collection.period': { from: '2024-05-01', to: '2024-04-30' } }, ['collection.period.to']],
    ['a date that does not exist', 'text', { 'collection.period': { from: '2024-02-30' } }, ['collection.period.from']],
    ['a collection starting on a day still to come', 'text', { 'collection.period': { from: '2099-01-01' } }, ['collection.period.from']],
    ['no collection method', 'text', { 'collection.methods': [] }, ['collection.methods']],
    ['a region that is not a code', 'speech', { 'collection.regions': ['Guangdong'] }, ['collection.regions']],
    ['a country code that is assigned to no country', 'speech', { 'collection.regions': ['CN-SC', 'ZZ'] }, ['collection.regions']],
    ['a subdivision of a country that does not exist', 'speech', { 'collection.regions': ['XX-ZZ'] }, ['collection.regions']],
    ['a Chinese province code that does not exist', 'speech', { 'collection.regions': ['CN-ZZ'] }, ['collection.regions']],
    ['no formats', 'speech', { formats: [] }, ['formats']],
    ['a format with a dot and capitals', 'speech', { formats: ['.WAV'] }, ['formats']],
    ['"none" with personal information', 'speech', { 'compliance.personalInformation': ['none', 'voice'] }, ['compliance.personalInformation']],
    ['personal information without a legal basis', 'dialogue', { 'compliance.legalBasis': 'not_applicable' }, ['compliance.legalBasis']],
    ['voice prints on plain consent', 'speech', { 'compliance.legalBasis': 'consent' }, ['compliance.legalBasis']],
    ['an unknown cross-border value', 'speech', { 'compliance.crossBorderTransfer': 'maybe' }, ['compliance.crossBorderTransfer']],
    ['no compliance block', 'speech', { compliance: undefined }, ['compliance']],
    ['a registration without a number', 'speech', { 'compliance.registrations': [{ exchange: '上海数据交易所' }] }, ['compliance.registrations.0.number']],
    ['a tag longer than 40 characters', 'speech', { tags: ['x'.repeat(41)] }, ['tags']],
  ])('refuses %s, naming the field', (_case, modality, changes, fields) => {
    expect(problemsOf(metadataWith(modality, changes)).map((p) => p.field)).toEqual(fields);
  });

  // Figures a buyer compares must not contradict each other: a least no larger than its greatest,
  // a part no larger than its whole. The boundary (equal) is a real dataset; one more is not.
  it.each<[string, Modality, Record<string, unknown>]>([
    ['one image size throughout (smallest = largest)', 'image', { 'image.minResolution': { width: 4032, height: 3024 } }],
    ['a smallest size without a largest', 'image', { 'image.minResolution': { width: 5000, height: 5000 }, 'image.maxResolution': undefined }],
    ['a largest size without a smallest', 'image', { 'image.minResolution': undefined, 'image.maxResolution': { width: 640, height: 480 } }],
    ['one frame size throughout (smallest = largest)', 'video', { 'video.minResolution': { width: 1920, height: 1080 }, 'video.maxResolution': { width: 1920, height: 1080 } }],
    ['every frame annotated', 'video', { 'video.annotatedFrames': 88_560_000 }],
    ['annotated frames without a frame count', 'video', { 'video.frames': undefined, 'video.annotatedFrames': 1_000_000_000_000 }],
    ['a text of one document (longest = all tokens)', 'text', { 'text.tokens': 128_000, 'text.maxDocumentTokens': 128_000 }],
    ['a longest document without a token count', 'text', { 'text.tokens': undefined, 'text.maxDocumentTokens': 128_000 }],
    ['one-turn conversations (as many turns as conversations)', 'dialogue', { 'dialogue.dialogues': 4_200_000 }],
    ['a multimodal component at one size', 'multimodal', { 'image.minResolution': { width: 512, height: 512 }, 'image.maxResolution': { width: 512, height: 512 } }],
    ['no languages at all (left out)', 'speech', { languages: undefined }],
  ])('accepts figures that agree: %s', (_case, modality, changes) => {
    expect(problemsOf(metadataWith(modality, changes))).toEqual([]);
  });

  it.each<[string, Modality, Record<string, unknown>, string]>([
    ['a smallest image larger than the largest', 'image', { 'image.minResolution': { width: 5000, height: 5000 } }, 'image.minResolution'],
    ['a smallest image wider than the largest', 'image', { 'image.minResolution': { width: 4033, height: 720 } }, 'image.minResolution'],
    ['a smallest image taller than the largest', 'image', { 'image.minResolution': { width: 1280, height: 3025 } }, 'image.minResolution'],
    ['a smallest frame larger than the largest', 'video', { 'video.minResolution': { width: 3840, height: 2160 } }, 'video.minResolution'],
    ['a smallest frame taller than the largest', 'video', { 'video.minResolution': { width: 1920, height: 1081 } }, 'video.minResolution'],
    ['more annotated frames than frames', 'video', { 'video.annotatedFrames': 1_000_000_000_000 }, 'video.annotatedFrames'],
    ['one annotated frame more than there are', 'video', { 'video.annotatedFrames': 88_560_001 }, 'video.annotatedFrames'],
    ['a longest document of more tokens than the whole text', 'text', { 'text.maxDocumentTokens': 410_000_001 }, 'text.maxDocumentTokens'],
    ['a longest conversation of more tokens than all of them', 'dialogue', { 'dialogue.maxDocumentTokens': 920_000_001 }, 'dialogue.maxDocumentTokens'],
    ['more conversations than turns', 'dialogue', { 'dialogue.dialogues': 4_200_001 }, 'dialogue.dialogues'],
    ["a multimodal listing's image component, smallest larger than largest", 'multimodal', { 'image.minResolution': { width: 1024, height: 1024 }, 'image.maxResolution': { width: 512, height: 512 } }, 'image.minResolution'],
    ['an empty list of languages', 'speech', { languages: [] }, 'languages'],
    ['an empty list of languages on images', 'image', { languages: [] }, 'languages'],
  ])('refuses figures that contradict each other: %s, naming the field', (_case, modality, changes, field) => {
    expect(problemsOf(metadataWith(modality, changes))).toEqual([{ field, problems: [expect.any(String)] }]);
  });

  it('says which figures contradict each other, and by how much', () => {
    expect(problemsOf(metadataWith('image', { 'image.minResolution': { width: 5000, height: 5000 } }))).toEqual([
      { field: 'image.minResolution', problems: ['minResolution (5000x5000) must be at most maxResolution (4032x3024) in width and in height'] },
    ]);
    expect(problemsOf(metadataWith('video', { 'video.annotatedFrames': 1_000_000_000_000 }))).toEqual([
      { field: 'video.annotatedFrames', problems: ['annotatedFrames (1000000000000) must be at most frames (88560000)'] },
    ]);
  });

  it('names only the dimensions a size has when one is missing, which is reported beside it', () => {
    const problems = problemsOf(metadataWith('image', { 'image.minResolution': { width: 5000 } }));
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'image.minResolution', problems: ['minResolution (width 5000) must be at most maxResolution (4032x3024) in width and in height'] },
      ]),
    );
    expect(JSON.stringify(problems)).not.toContain('undefined');
  });

  it('tells a vendor to leave languages out rather than send an empty list', () => {
    expect(problemsOf(metadataWith('speech', { languages: [] }))).toEqual([
      { field: 'languages', problems: ['languages must not be empty: leave the field out for data without language'] },
    ]);
  });

  it('compares only figures that are numbers: a wrong one reports itself alone', () => {
    expect(problemsOf(metadataWith('video', { 'video.frames': '88560000' })).map((p) => p.field)).toEqual(['video.frames']);
    expect(problemsOf(metadataWith('image', { 'image.maxResolution': { width: 'wide', height: 3024 } })).map((p) => p.field)).toEqual(['image.maxResolution.width']);
  });

  it('takes ISO 3166 regions: countries, Chinese provinces and special administrative regions, and subdivisions elsewhere', () => {
    expect(problemsOf(metadataWith('speech', { 'collection.regions': ['CN', 'CN-SC', 'CN-XZ', 'CN-HK', 'HK', 'MO', 'SG', 'US-CA', 'GB-SCT'] }))).toEqual([]);
  });

  it('lists every wrong field at once', () => {
    const metadata = metadataWith('speech', { modality: 'speach', languages: ['xx'], 'speech.hours': -5, status: 'published' });
    expect(problemsOf(metadata).map((p) => p.field).sort()).toEqual(['languages', 'modality', 'speech.hours', 'status']);
  });

  it("takes a collection that started or ended today, wherever the vendor is, and tells why tomorrow's is refused", () => {
    const day = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString().slice(0, 10);
    // At UTC+14 it is already this date somewhere.
    expect(problemsOf(metadataWith('text', { 'collection.period': { from: day(14) } }))).toEqual([]);
    const [problem] = problemsOf(metadataWith('text', { 'collection.period': { from: day(48) } }));
    expect(problem).toEqual({ field: 'collection.period.from', problems: [expect.stringContaining('must not be a day still to come')] });
    // Nor did it end in 2999: a collection still going on leaves `to` out.
    expect(problemsOf(metadataWith('text', { 'collection.period': { from: '2024-03-01', to: '2999-01-01' } }))).toEqual([
      { field: 'collection.period.to', problems: [expect.stringContaining('must not be a day still to come')] },
    ]);
    expect(problemsOf(metadataWith('text', { 'collection.period': { from: '2024-03-01', to: day(14) } }))).toEqual([]);
  });

  it.each([
    ['普通话', '普通话 '],
    ['ASR', 'asr'],
    ['ASR', 'ＡＳＲ'],
  ])('refuses the tags %j and %j as one given twice', (first, second) => {
    expect(problemsOf(metadataWith('speech', { tags: [first, '客服', second] }))).toEqual([{ field: 'tags', problems: [expect.stringMatching(/^tags must not name a tag twice: /)] }]);
  });

  it.each([
    ['collection.methods', ['crowdsourced_recording', 'crowdsourced_recording'], 'methods must not list "crowdsourced_recording" twice'],
    ['formats', ['wav', 'jsonl', 'wav'], 'formats must not list "wav" twice'],
    ['compliance.personalInformation', ['voice', 'voice'], 'personalInformation must not list "voice" twice'],
    ['speech.recordingDevices', ['smartphone', 'smartphone'], 'recordingDevices must not list "smartphone" twice'],
  ])('names the entry of %s given twice', (path, value, problem) => {
    expect(problemsOf(metadataWith('speech', { [path]: value }))).toEqual([{ field: path, problems: [problem] }]);
  });

  it('refuses dialects that read as one, naming them', () => {
    expect(problemsOf(metadataWith('speech', { 'speech.dialects': ['四川话 Sichuanese', '四川话 sichuanese'] }))).toEqual([
      { field: 'speech.dialects', problems: [expect.stringMatching(/^dialects must not name a label twice: "四川话 Sichuanese" and "四川话 sichuanese" read as one/)] },
    ]);
  });

  it('says why two language tags are one too many', () => {
    const [problem] = problemsOf(metadataWith('speech', { languages: ['cmn', 'zh'] }));
    expect(problem).toEqual({ field: 'languages', problems: [expect.stringContaining('cmn is zh')] });
  });

  it('says in words what is wrong', () => {
    const [problem] = problemsOf(metadataWith('speech', { languages: ['zh-CN', 'en_US'] }));
    expect(problem.problems.join(' ')).toContain('"en_US"');
    expect(problem.problems.join(' ')).not.toContain('zh-CN"');
  });

  it.each([null, [], 'speech', 42])('refuses %p as metadata', (input) => {
    expect(problemsOf(input)).toEqual([{ field: 'metadata', problems: ['metadata must be a JSON object'] }]);
  });

  it.each([
    ['speech.genderMix.female', 5e-324],
    ['speech.genderMix.female', 1e-7],
    ['speech.hours', 1e-9],
    ['speech.transcription.accuracy', 9.5e-8],
  ])('answers %s = %p, a number written with an exponent, with a field problem instead of throwing', (path, value) => {
    const problems = problemsOf(metadataWith('speech', { [path]: value }));
    expect(problems.map((p) => p.field)).toContain(path);
  });

  it('accepts the decimals a listing really has', () => {
    expect(validateDatasetMetadata(metadataWith('speech', { 'speech.hours': 1000.25, 'speech.genderMix.female': 0.4815 })).ok).toBe(true);
  });

  it('gives back canonical language tags', () => {
    const result = validateDatasetMetadata(metadataWith('speech', { languages: ['ZH-cn', 'cmn-Hans', 'Yue'] }));
    expect(result.ok && result.metadata.languages).toEqual(['zh-CN', 'zh-Hans', 'yue']);
  });
});

describe('validateDatasetMetadata on any input', () => {
  const paths = [
    'modality', 'languages', 'domain', 'annotationTypes', 'collection', 'collection.methods', 'collection.period', 'collection.period.from',
    'formats', 'tags', 'compliance', 'compliance.personalInformation', 'compliance.legalBasis', 'compliance.registrations',
    'speech', 'speech.genderMix', 'speech.genderMix.female', 'speech.transcription', 'multimodal', 'multimodal.components', 'image', 'quality',
    'image.minResolution', 'image.maxResolution', 'image.minResolution.width', 'video.frames', 'video.annotatedFrames', 'video.maxResolution',
    'text.tokens', 'text.maxDocumentTokens', 'dialogue.dialogues', 'dialogue.turns',
  ];

  it('answers with field problems and never throws, whatever a client sends', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MODALITIES),
        fc.dictionary(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        (modality, changes) => {
          const result = validateDatasetMetadata(metadataWith(modality, changes));
          return result.ok || result.problems.every((p) => p.field.length > 0 && p.problems.length > 0);
        },
      ),
      { numRuns: 1000 },
    );
    fc.assert(fc.property(fc.anything(), (input) => typeof validateDatasetMetadata(input).ok === 'boolean'));
  });
});
