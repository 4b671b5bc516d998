import { createHash, randomUUID } from 'node:crypto';
import type { DatasetStatus } from '@trove/contracts';
import { withDatabase } from './postgres';

export interface DatasetRow {
  id: string;
  vendorOrganizationId: string;
  title: string;
  status: DatasetStatus;
  metadata?: Record<string, unknown>;
}

/**
 * A speech listing as vendors in this market write them (Mandarin read speech recorded on
 * smartphones), valid against the dataset model; `overrides` replace top-level fields.
 */
export function speechListing(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: '普通话手机采集朗读语音数据 1,000 小时',
    titleEn: 'Mandarin read speech on smartphones, 1,000 hours',
    description: '1,000 小时普通话朗读语音，2,000 名说话人，覆盖七大方言区口音，句准确率不低于 98%，说话人均签署单独同意书。',
    modality: 'speech',
    languages: ['zh-CN'],
    domain: 'telecom',
    annotationTypes: ['transcription'],
    collection: { methods: ['crowdsourced_recording'], period: { from: '2023-03-01', to: '2024-06-30' }, regions: ['CN-SC', 'CN-GD'] },
    formats: ['wav', 'jsonl'],
    tags: ['普通话', 'ASR', '朗读'],
    compliance: {
      personalInformation: ['voice'],
      legalBasis: 'separate_consent',
      consentRecordsKept: true,
      deidentification: ['pseudonymized'],
      crossBorderTransfer: 'restricted',
      registrations: [{ exchange: '上海数据交易所 Shanghai Data Exchange', number: 'SDE-2024-SP-000318' }],
    },
    quality: { annotationAccuracy: 0.98, auditedSampleSize: 5000 },
    speech: {
      hours: 1000,
      utterances: 1_200_000,
      speakers: 2000,
      dialects: ['四川话 Sichuanese', '粤语 Cantonese'],
      styles: ['read'],
      sampleRateHz: 16000,
      bitDepth: 16,
      channels: 1,
      recordingDevices: ['smartphone'],
      environments: ['quiet_room'],
      transcription: { accuracy: 0.98, level: 'sentence' },
    },
    ...overrides,
  };
}

/** A one-time commercial license for mainland China, the most common offer in this market. */
export function commercialOffer(amount = 12_800_000, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    license: { template: 'commercial' },
    pricing: { model: 'one_time', price: { amount, currency: 'CNY' } },
    ...overrides,
  };
}

/**
 * A one-time commercial license for one year: a buyer may order it again (a renewal), where a
 * perpetual one is refused while the buyer holds it (409 ALREADY_LICENSED). For tests that place
 * many orders of one offer as one buyer.
 */
export function yearlyOffer(amount = 12_800_000, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return commercialOffer(amount, { license: { template: 'commercial', terms: ONE_YEAR_TERMS }, ...overrides });
}

const ONE_YEAR_TERMS = {
  uses: ['model_training', 'fine_tuning', 'evaluation', 'commercial_deployment', 'sell_model_outputs', 'derivatives'],
  termMonths: 12,
  territories: ['CN'],
  seats: null,
  exclusive: false,
};

/** An exclusive commercial license for mainland China, for `termMonths` months. */
export function exclusiveOffer(termMonths = 24, territories = ['CN'], amount = 98_000_000): Record<string, unknown> {
  return {
    license: {
      template: 'commercial_exclusive',
      terms: {
        uses: ['model_training', 'fine_tuning', 'evaluation', 'commercial_deployment'],
        termMonths,
        territories,
        seats: null,
        exclusive: true,
      },
    },
    pricing: { model: 'one_time', price: { amount, currency: 'CNY' } },
  };
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A listing written straight into the catalog database, for tests that only need it to exist. */
export async function newDataset(catalogUrl: string, overrides: Partial<DatasetRow> = {}): Promise<DatasetRow> {
  const row: DatasetRow = {
    id: randomUUID(),
    vendorOrganizationId: randomUUID(),
    title: '普通话手机采集语音数据 1,000 小时 / Mandarin smartphone speech, 1,000 hours',
    status: 'published',
    ...overrides,
  };
  await withDatabase(catalogUrl, (client) =>
    client.query(`INSERT INTO dataset (id, vendor_organization_id, title, status, metadata) VALUES ($1, $2, $3, $4, $5)`, [
      row.id,
      row.vendorOrganizationId,
      row.title,
      row.status,
      JSON.stringify(row.metadata ?? speechListing({ title: row.title })),
    ]),
  );
  return row;
}

/** What the e2e tests need of a running system: a gateway call as some key. */
export interface GatewayCaller {
  request(path: string, init?: RequestInit & { as?: 'admin' | 'anonymous' | { key: string } }): Promise<Response>;
}

async function body(response: Response): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

/** A vendor driving the public API the way its own tooling would. */
export class VendorClient {
  constructor(
    readonly system: GatewayCaller,
    readonly key: string,
    readonly organizationId: string,
  ) {}

  /** Signs a vendor up; `approve` has an operator approve it as well. */
  static async signUp(system: GatewayCaller, name: string, approve = true): Promise<VendorClient> {
    const response = await system.request('/v1/organizations', {
      method: 'POST',
      as: 'anonymous',
      body: JSON.stringify({ name, kind: 'vendor', contactEmail: 'bd@example.cn' }),
    });
    if (response.status !== 201) throw new Error(`sign-up: ${response.status} ${await response.text()}`);
    const signedUp = await body(response);
    if (approve) {
      const approved = await system.request(`/v1/admin/organizations/${signedUp.organization.id}/approve`, { method: 'POST' });
      if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${await approved.text()}`);
    }
    return new VendorClient(system, signedUp.apiKey, signedUp.organization.id);
  }

  call(path: string, method = 'GET', payload?: unknown): Promise<Response> {
    return this.system.request(path, { method, as: { key: this.key }, ...(payload === undefined ? {} : { body: JSON.stringify(payload) }) });
  }

  /** Calls and expects `status`, answering the JSON body. */
  async expect(status: number, path: string, method = 'GET', payload?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const response = await this.call(path, method, payload);
    const answer = await body(response);
    if (response.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  /** Asks for a signed URL and PUTs the bytes to delivery, as a vendor's uploader does. */
  async upload(datasetId: string, versionId: string, path: string, bytes: Buffer): Promise<{ path: string; size: number; sha256: string }> {
    const signed = await this.expect(201, `/v1/datasets/${datasetId}/versions/${versionId}/uploads`, 'POST', { path, size: bytes.length, sha256: sha256Hex(bytes) });
    const put = await fetch(signed.uploadUrl, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    const answer = await body(put);
    if (put.status !== 201) throw new Error(`PUT ${path}: ${put.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  /** A draft with one released version holding `files`, and a commercial offer. */
  async listing(listing: Record<string, unknown> = speechListing(), files: Record<string, Buffer> = { 'transcripts.jsonl': Buffer.from('{"id":"utt_000001","text":"今天天气很好"}\n') }) {
    const dataset = await this.expect(201, '/v1/datasets', 'POST', listing);
    const version = await this.expect(201, `/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.0.0', changelog: '首个版本 / First release' });
    for (const [path, bytes] of Object.entries(files)) await this.upload(dataset.id, version.id, path, bytes);
    await this.expect(200, `/v1/datasets/${dataset.id}/versions/${version.id}/release`, 'POST');
    const offer = await this.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer());
    return { dataset, version, offer };
  }
}

/**
 * The catalog's search tallies beside what they count, read from the rows of `dataset_search`:
 * per facet_key (search_facet_tally) and per yuan price band and facet_key (search_price_tally).
 * Each pair must always be equal.
 */
export const SEARCH_TALLIES = {
  facets: {
    counted: `SELECT facet_key, count(*)::int AS datasets FROM dataset_search GROUP BY facet_key ORDER BY facet_key`,
    tallied: `SELECT facet_key, datasets FROM search_facet_tally WHERE datasets <> 0 ORDER BY facet_key`,
  },
  prices: {
    counted: `SELECT search_price_band((min_prices ->> 'CNY')::bigint)::text AS band, facet_key, count(*)::int AS datasets FROM dataset_search
              WHERE min_prices ? 'CNY' GROUP BY 1, 2 ORDER BY 1, 2`,
    tallied: `SELECT band::text, facet_key, datasets FROM search_price_tally WHERE datasets <> 0 ORDER BY 1, 2`,
  },
};
