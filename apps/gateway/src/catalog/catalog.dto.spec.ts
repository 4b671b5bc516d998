import { UpsertVendorProfileRequest } from '@trove/contracts';
import { validateMessage } from '@trove/platform';
import { refusedFields } from '../../../../test/support/validation';
import { VendorProfileInputDto } from './catalog.dto';

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
