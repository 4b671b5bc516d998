import { DatasetListing, UpsertVendorProfileRequest } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { httpValidationPipe, ServiceException, validateMessage } from '@trove/platform';
import { refusedFields } from '../../../../test/support/validation';
import { CreateDatasetDto, CreateSampleDto, CreateUploadDto, CreateVersionDto, UpdateDatasetDto, VendorProfileInputDto } from './catalog.dto';

const profile = (certifications: unknown) => ({ displayNameZh: '海天瑞声科技股份有限公司', displayNameEn: 'SpeechOcean', certifications });

/** The refusal `validate` throws, or undefined when it passes. */
function failure(validate: () => unknown): ServiceException | undefined {
  try {
    validate();
    return undefined;
  } catch (error) {
    if (error instanceof ServiceException) return error;
    throw error;
  }
}

describe("a vendor profile's certifications", () => {
  it.each([
    ['the gateway body', VendorProfileInputDto],
    ['the catalog command', UpsertVendorProfileRequest],
  ])('are refused empty or longer than 200 characters, in %s', (_name, cls) => {
    for (const bad of [[''], ['ISO/IEC 27001', ''], ['认'.repeat(201)]]) {
      expect({ bad, fields: refusedFields(cls, profile(bad)) }).toEqual({ bad, fields: ['certifications'] });
    }
    expect(refusedFields(cls, profile(['ISO/IEC 27001', 'DSMM 三级', '认'.repeat(200)]))).toEqual([]);
  });

  it.each([
    ['the gateway body', VendorProfileInputDto],
    ['the catalog command', UpsertVendorProfileRequest],
  ])('are refused when two read as one, in %s', (_name, cls) => {
    for (const [first, second] of [
      ['ISO/IEC 27001', 'iso/iec 27001'],
      ['ISO/IEC 27001', 'ＩＳＯ／ＩＥＣ　２７００１'],
      ['DSMM 三级', 'DSMM  三级'],
      ['DSMM 三级', ' DSMM 三级'],
    ]) {
      const refused = failure(() => validateMessage(cls, profile([first, second, '上海数据交易所 数商'])));
      expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, errors: [{ field: 'certifications', problems: [expect.stringMatching(/^certifications must not name one twice/)] }] });
    }
    expect(refusedFields(cls, profile(['ISO/IEC 27001', 'ISO/IEC 27701', 'DSMM 三级', 'DSMM 二级']))).toEqual([]);
  });

  it('are trimmed at the gateway, so that blanks are refused as empty', () => {
    expect(refusedFields(VendorProfileInputDto, profile(['   ']))).toEqual(['certifications']);
    expect(validateMessage(VendorProfileInputDto, profile([' ISO/IEC 27001 ', '\tDSMM 三级\n'])).certifications).toEqual(['ISO/IEC 27001', 'DSMM 三级']);
  });
});

describe('one answer for every bad field, the display-text rule included', () => {
  const listing = (): Record<string, unknown> => ({ ...exampleMetadata('speech'), title: '普通话手机采集语音数据 1,000 小时', description: '1,000 小时普通话朗读语音。\n2,000 名说话人。' });

  it.each([
    ['the gateway body', CreateDatasetDto],
    ['the catalog command', DatasetListing],
  ])('names a title with an override, a tag with a zero-width space and bad hours together, in %s', (_name, cls) => {
    const speech = { ...(listing().speech as object), hours: 1.234 };
    const body = { ...listing(), title: '普通话 1,000 小时\u202E000,01', tags: ['Spe\u200bech'], speech };
    expect(refusedFields(cls, body).sort()).toEqual(['speech.hours', 'tags.0', 'title']);
    // The description may hold line breaks; the title may not, and each says so.
    expect(refusedFields(cls, listing())).toEqual([]);
    expect(refusedFields(cls, { ...listing(), title: '普通话\n语音' })).toEqual(['title']);
  });

  it("answers so through the gateway's pipe too", async () => {
    const speech = { ...(listing().speech as object), hours: 1.234 };
    const body = { ...listing(), title: '普通话 1,000 小时\u202E000,01', speech };
    const refused = await httpValidationPipe()
      .transform(body, { type: 'body', metatype: CreateDatasetDto })
      .catch((error: ServiceException) => error.errors?.map((e) => e.field).sort());
    expect(refused).toEqual(['speech.hours', 'title']);
  });

  it.each([
    ['the gateway body', CreateDatasetDto],
    ['the catalog command', DatasetListing],
    ['a PATCH body', UpdateDatasetDto],
  ])('refuses two tags that read as one, naming them, in %s', (_name, cls) => {
    for (const [first, second] of [
      ['普通话', '普通话 '],
      ['ASR', 'asr'],
      ['ASR', 'ＡＳＲ'],
      ['客服', '客服'],
      ['呼叫 中心', '呼叫\u3000\u3000中心'],
    ]) {
      const refused = failure(() => validateMessage(cls, { ...listing(), tags: [first, '电话信道', second] }));
      expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, errors: [{ field: 'tags', problems: [expect.stringMatching(/^tags must not name a tag twice: /)] }] });
    }
    expect(failure(() => validateMessage(cls, { ...listing(), tags: ['ASR', '电话信道', 'ＡＳＲ'] }))?.errors?.[0].problems[0]).toContain('"ASR" and "ＡＳＲ" read as one');
    expect(refusedFields(cls, { ...listing(), tags: ['普通话', '粤语', 'ASR', 'TTS', '客服'] })).toEqual([]);
  });

  it.each([
    ['the gateway body', CreateDatasetDto],
    ['the catalog command', DatasetListing],
    ['a PATCH body', UpdateDatasetDto],
  ])('keeps titles and tags without the spaces around them, and refuses blank ones as empty, in %s', (_name, cls) => {
    const read = validateMessage(cls, { ...listing(), title: '  普通话语音  ', titleEn: '\u3000Mandarin speech ', tags: [' 普通话', 'ASR  '] }) as DatasetListing;
    expect([read.title, read.titleEn, read.tags]).toEqual(['普通话语音', 'Mandarin speech', ['普通话', 'ASR']]);
    // The display-text rule reads the text as kept: a blank one is empty, refused by its length.
    expect(refusedFields(cls, { ...listing(), title: '   ', tags: ['\u3000'] }).sort()).toEqual(['tags', 'title']);
  });

  it.each([
    ['the gateway body', CreateDatasetDto],
    ['the catalog command', DatasetListing],
    ['a PATCH body', UpdateDatasetDto],
  ])('trims a tab or a line break around a title or a tag before the display-text rule reads it, and still refuses one inside, in %s', (_name, cls) => {
    const read = validateMessage(cls, { ...listing(), title: '闽南语广播剧语音\t', titleEn: '\r\nMinnan radio drama speech\n', tags: ['闽南语\t', '\n广播剧'] }) as DatasetListing;
    expect([read.title, read.titleEn, read.tags]).toEqual(['闽南语广播剧语音', 'Minnan radio drama speech', ['闽南语', '广播剧']]);
    expect(refusedFields(cls, { ...listing(), title: '闽南语\t广播剧', tags: ['闽南\n语'] }).sort()).toEqual(['tags.0', 'title']);
  });

  it("trims them through the gateway's pipe too", async () => {
    const read = (await httpValidationPipe().transform({ ...listing(), title: '\t闽南语广播剧语音\r\n', tags: ['闽南语\t'] }, { type: 'body', metatype: CreateDatasetDto })) as CreateDatasetDto;
    expect([read.title, read.tags]).toEqual(['闽南语广播剧语音', ['闽南语']]);
  });

  it('holds a PATCH body to the same rule at the gateway', () => {
    expect(refusedFields(UpdateDatasetDto, { title: 'Mandarin\u2066 speech', tags: 'not a list' }).sort()).toEqual(['tags', 'title']);
    expect(refusedFields(UpdateDatasetDto, { description: '第一行\n第二行' })).toEqual([]);
  });

  it.each([
    ['the gateway body', VendorProfileInputDto],
    ['the catalog command', UpsertVendorProfileRequest],
  ])("names a vendor's bad website, a name with an override and a certification given twice together, in %s", (_name, cls) => {
    const body = { displayNameZh: '海天瑞声\u202E', displayNameEn: 'SpeechOcean', website: 'javascript:alert(1)', certifications: ['ISO/IEC 27001', 'ISO/IEC 27001'] };
    expect(refusedFields(cls, body).sort()).toEqual(['certifications', 'displayNameZh', 'website']);
  });

  it('names a changelog with control characters with the version', () => {
    expect(refusedFields(CreateVersionDto, { version: 'one', changelog: 'fixed\u001b[31m' }).sort()).toEqual(['changelog', 'version']);
  });
});

describe('an upload declaring its size and SHA-256', () => {
  const path = 'audio/zh-CN/speaker_0001/utt_000001.wav';

  it.each([
    ['a version file', CreateUploadDto],
    ['a sample', CreateSampleDto],
  ])('refuses null for either (400 naming it), which would sign a URL that never verifies, and takes them left out, for %s', (_name, cls) => {
    expect(refusedFields(cls, { path, size: null, sha256: null }).sort()).toEqual(['sha256', 'size']);
    expect(refusedFields(cls, { path, size: null })).toEqual(['size']);
    expect(refusedFields(cls, { path })).toEqual([]);
    expect(refusedFields(cls, { path, size: 0, sha256: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' })).toEqual([]);
  });
});
