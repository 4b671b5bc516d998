import 'reflect-metadata';
import type { DatasetDetail, OfferView } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import type { LicenseTermsValue } from '@trove/licensing';
import { offeredTo, type LiveExclusiveSaleOf } from '../offers/exclusive-availability';
import { croissantOf } from './dataset-metadata';

const apiUrl = 'http://localhost:3000';
const datasetId = '3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10';
const pageUrl = `${apiUrl}/v1/datasets/${datasetId}`;
const at = new Date('2026-12-01T02:00:00Z');

function terms(territories: string[], exclusive: boolean): LicenseTermsValue {
  return { uses: ['model_training', 'fine_tuning', 'commercial_deployment'], termMonths: 24, territories, seats: null, exclusive } as LicenseTermsValue;
}

function offer(id: string, template: string, territories: string[], exclusive = false, status: OfferView['status'] = 'active'): OfferView {
  return { id, datasetId, status, exclusive, buyerOrgId: null, license: { template, terms: terms(territories, exclusive) } } as OfferView;
}

/** The listing as an anonymous caller's page shows it, each offer marked by the live sales as `DatasetsService.detail` marks it. */
function detail(offers: OfferView[], live: LiveExclusiveSaleOf[]): DatasetDetail {
  return {
    id: datasetId,
    vendorOrganizationId: '5b0f3a52-6d1e-4c8a-9f27-0e6b1c4d2a71',
    title: 'Call-centre speech',
    status: 'published',
    metadata: exampleMetadata('speech') as unknown as Record<string, unknown>,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    publishedAt: '2026-01-01T00:00:00.000Z',
    versionCount: 0,
    versions: [],
    offers: offers.map((o) => offeredTo(o, live, undefined, at)),
    samples: [],
  };
}

const mainlandSale: LiveExclusiveSaleOf = { terms: terms(['CN'], true), startsAt: new Date('2026-06-01T00:00:00Z'), endsAt: null, buyerOrgId: 'buyer', orderId: 'order' };
const licenseNames = (card: Record<string, unknown>) => (card.license as { name: string }[]).map((license) => license.name);

describe('croissantOf', () => {
  it('names no license of an offer a live exclusive sale blocks, as search leaves it out', () => {
    const offers = [offer('exclusive', 'commercial_exclusive', ['CN'], true), offer('commercial', 'commercial', ['CN']), offer('research', 'research', ['SG'])];
    const shown = detail(offers, [mainlandSale]);
    expect(shown.offers.map((o) => [o.id, o.exclusiveSoldOut !== undefined])).toEqual([['exclusive', true], ['commercial', true], ['research', false]]);

    expect(licenseNames(croissantOf(shown, null, { organizationId: shown.vendorOrganizationId }, apiUrl))).toEqual(['科研许可 / Research license']);
  });

  it('is licensed per offer when every offer is blocked or not active', () => {
    const offers = [offer('exclusive', 'commercial_exclusive', ['CN'], true), offer('commercial', 'commercial', ['CN']), offer('withdrawn', 'research', ['SG'], false, 'withdrawn')];
    const card = croissantOf(detail(offers, [mainlandSale]), null, { organizationId: 'vendor' }, apiUrl);
    expect(card.license).toEqual([{ '@type': 'sc:CreativeWork', name: 'Licensed per offer: none open now', url: pageUrl }]);
  });

  it('names the license of every active offer while no sale blocks it', () => {
    const offers = [offer('exclusive', 'commercial_exclusive', ['CN'], true), offer('commercial', 'commercial', ['CN']), offer('again', 'commercial', ['HK'])];
    const card = croissantOf(detail(offers, []), null, { organizationId: 'vendor' }, apiUrl);
    expect(licenseNames(card)).toEqual(['独家商用许可 / Exclusive commercial license', '商用许可 / Commercial license']);
  });
});
