import { DatasetListing, UpsertVendorProfileRequest } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { httpValidationPipe, ServiceException, validateMessage } from '@trove/platform';
import { refusedFields } from '../../../../test/support/validation';
import { CreateDatasetDto, CreateVersionDto, UpdateDatasetDto, VendorProfileInputDto } from './catalog.dto';

const profile = (certifications: unknown) => ({ displayNameZh: '海天瑞声科技股份有限公司', displayNameEn: 'SpeechOcean', certifications });

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
