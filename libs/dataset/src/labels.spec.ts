import { languageLabels, searchTerms } from './labels';
import { exampleMetadata } from './metadata.examples';
import type { DatasetMetadata } from './metadata';

describe('languageLabels', () => {
  it.each<[string, string[]]>([
    ['zh-CN', ['中文', 'Chinese']],
    ['yue-HK', ['粤语', 'Cantonese', '广东话', 'Cantonese']],
    ['wuu', ['吴语', 'Wu Chinese', '上海话', 'Shanghainese']],
    ['nan', ['闽南语', 'Min Nan Chinese', '闽南话', 'Hokkien']],
    ['cdo', ['闽东语', 'Min Dong']],
    ['en-US', ['英语', 'English']],
    ['ja', ['日语', 'Japanese']],
    ['ko', ['韩语', 'Korean']],
    ['xx', []],
  ])('%s is called %p', (tag, names) => {
    expect(languageLabels(tag).flatMap((l) => [l.zh, l.en])).toEqual(names);
  });
});

describe('languageLabels of a spoken language', () => {
  it.each<[string, string[]]>([
    ['zh-CN', ['中文', 'Chinese', '普通话', 'Mandarin']],
    ['yue-HK', ['粤语', 'Cantonese', '广东话', 'Cantonese']],
    ['en-US', ['英语', 'English']],
  ])('%s is called %p', (tag, names) => {
    expect(languageLabels(tag, { spoken: true }).flatMap((l) => [l.zh, l.en])).toEqual(names);
  });
});

describe('searchTerms', () => {
  const speech = exampleMetadata('speech') as unknown as DatasetMetadata;

  it.each([
    ['the modality in Chinese', '语音'],
    ['the modality in English', 'Speech'],
    ['the domain in Chinese', '通信'],
    ['an annotation type', '转写'],
    ['a language by its Chinese name', '粤语'],
    ['Mandarin by the name catalogs use', '普通话'],
    ['a tag', 'ASR'],
    ['a dialect', '粤语 Cantonese'],
    ['an accent', '四川口音 Sichuan accent'],
  ])('finds a speech dataset by %s (%s)', (_case, word) => {
    expect(searchTerms(speech)).toContain(word);
  });

  it.each([
    ['ja', '日本語', '日语'],
    ['ko-KR', '한국어', '韩语'],
    ['yue-HK', '粵語', '粤语'],
    ['fr', 'français', '法语'],
  ])('finds a dataset in %s by the language\'s own name (%s) beside its Chinese one (%s)', (tag, own, zh) => {
    expect(searchTerms({ modality: 'text', languages: [tag] })).toEqual(expect.arrayContaining([own, zh]));
  });

  it('adds no own name that only repeats the English one', () => {
    expect(searchTerms({ modality: 'text', languages: ['en', 'wuu'] }).filter((word) => word === 'English' || word === 'Wu Chinese')).toEqual(['English', 'Wu Chinese']);
  });

  it('names every component of a multimodal dataset', () => {
    const terms = searchTerms(exampleMetadata('multimodal') as unknown as DatasetMetadata);
    expect(terms).toEqual(expect.arrayContaining(['多模态', 'Multimodal', '图像', 'Image', '文本', 'Text', '图文对']));
  });

  it('repeats no word and skips values outside the vocabulary', () => {
    const terms = searchTerms({ modality: 'speech', domain: 'crypto' as never, annotationTypes: ['transcription', 'boxes' as never], tags: ['语音', '语音'] });
    expect(terms).toEqual(['语音', 'Speech', '转写', 'Transcription']);
  });
});

describe('searchTerms for Chinese as it is spoken', () => {
  it.each<[string, Partial<DatasetMetadata>, boolean]>([
    ['a speech corpus', { modality: 'speech' }, true],
    ['a multimodal set with a speech component', { modality: 'multimodal', multimodal: { components: ['speech', 'text'] } as DatasetMetadata['multimodal'] }, true],
    ['a text corpus', { modality: 'text' }, false],
    ['OCR images', { modality: 'image' }, false],
    ['an image-text multimodal set', { modality: 'multimodal', multimodal: { components: ['image', 'text'] } as DatasetMetadata['multimodal'] }, false],
  ])('names %s tagged zh-CN 普通话 and Mandarin: %s', (_case, metadata, spoken) => {
    const terms = searchTerms({ ...metadata, languages: ['zh-CN'] });
    expect(terms).toEqual(expect.arrayContaining(['中文', 'Chinese']));
    expect(['普通话', 'Mandarin'].map((word) => terms.includes(word))).toEqual([spoken, spoken]);
  });
});

