import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { speechListing } from '../support/catalog';
import { TroveSystem } from '../support/system';

/**
 * Search relevance against the demo catalog: the system starts, `npm run seed`'s script
 * publishes the demo marketplace through the gateway (8 vendors, 64 listings with versions,
 * uploaded files, samples and offers, submitted and approved), and each query of the table
 * must bring its expected datasets to the top, in Chinese, English, mixed, and with filters.
 */
jest.setTimeout(300_000);

const run = promisify(execFile);

interface Hit {
  id: string;
  title: string;
  modality: string;
  domain: string;
  languages: string[];
  licenses: string[];
  lowestPrice: { amount: number; currency: string } | null;
}

interface Case {
  query: string;
  /** Titles expected at the top, in any order among themselves, before anything else. */
  top: string[];
  /** Holds for every result. */
  every?: (hit: Hit) => boolean;
}

const RELEVANCE: Case[] = [
  { query: 'q=普通话朗读', top: ['普通话朗读语音数据集 1,000 小时', '儿童普通话朗读语音 120 小时'] },
  { query: 'q=粤语', top: ['粤语电话客服语音 500 小时', '粤语女声语音合成数据 10 小时'] },
  { query: 'q=方言', top: ['四川话自由对话语音 300 小时', '闽南话与上海话方言语音 150 小时'] },
  { query: 'q=语音合成', top: ['中文标准女声语音合成数据 12 小时', '中文男声有声书合成数据 30 小时', '粤语女声语音合成数据 10 小时', '多情感中文语音合成数据', '客服场景语音合成数据 8 小时'] },
  { query: 'q=激光雷达', top: ['激光雷达点云 3D 框标注数据', '矿区无人驾驶激光雷达数据'] },
  { query: 'q=conversational speech', top: ['English Conversational Speech, 200 hours'] },
  { query: 'q=SPEECH', top: [], every: (hit) => hit.modality === 'speech' },
  { query: 'q=LiDAR', top: ['激光雷达点云 3D 框标注数据', '矿区无人驾驶激光雷达数据'] },
  { query: 'q=driver monitoring', top: ['Driver Monitoring Video, 1,000 drivers'] },
  { query: 'q=preference', top: ['中文多轮对话偏好数据 12 万对'] },
  { query: 'q=金融 SFT', top: ['中文金融问答 SFT 数据 50 万条'] },
  { query: 'q=TTS 粤语', top: ['粤语女声语音合成数据 10 小时'] },
  { query: 'q=OCR 发票', top: ['身份证与票据 OCR 图像'] },
  { query: 'q=电力巡检', top: ['电力巡检无人机图像'] },
  { query: 'q=图文对', top: ['中文图文对数据 1,000 万组'] },
  { query: 'q=客服&modality=speech', top: ['粤语电话客服语音 500 小时', '金融客服电话录音 600 小时', '客服场景语音合成数据 8 小时'], every: (hit) => hit.modality === 'speech' },
  { query: 'q=自动驾驶&modality=video', top: ['城市道路行车视频 拉框与目标跟踪', '高速公路夜间驾驶视频'], every: (hit) => hit.modality === 'video' },
  // Words of the trade written another way or in the other language find the same listings.
  { query: 'q=老人 语音', top: ['老年人普通话语音 300 小时'] },
  { query: 'q=text-to-speech 粤语', top: ['粤语女声语音合成数据 10 小时'] },
  { query: 'q=self-driving&modality=video', top: ['城市道路行车视频 拉框与目标跟踪', '高速公路夜间驾驶视频'], every: (hit) => hit.modality === 'video' },
  { query: 'language=yue', top: [], every: (hit) => hit.languages.some((tag) => tag.split('-')[0] === 'yue') },
  { query: 'q=语音&language=ja', top: ['日语朗读语音数据 300 小时'] },
  // The drone images' quarterly subscription (20,000.00 CNY) is the lowest energy price.
  { query: 'domain=energy&sort=price', top: ['电力巡检无人机图像'], every: (hit) => hit.domain === 'energy' },
  { query: 'license=cc-by-4.0', top: [], every: (hit) => hit.licenses.includes('cc-by-4.0') },
  { query: 'q=SFT&maxPrice=1000000&sort=price', top: ['教育辅导多轮对话 SFT'], every: (hit) => hit.lowestPrice !== null && hit.lowestPrice.amount <= 1_000_000 },
  { query: 'annotation=tracking&modality=point_cloud', top: ['激光雷达点云 3D 框标注数据'] },
];

describe('search relevance on the demo catalog', () => {
  let system: TroveSystem;
  let stateDir: string;

  beforeAll(async () => {
    // Two catalog processes share the requests (one queue group), each with its own answer cache.
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'delivery'], replicas: { catalog: 1 } });
    stateDir = mkdtempSync(join(tmpdir(), 'trove-seed-e2e-'));
    await run(process.execPath, ['scripts/seed.mjs'], {
      env: { ...process.env, TROVE_GATEWAY_URL: system.gateway.url, TROVE_ADMIN_KEY: system.adminKey, TROVE_STATE_DIR: stateDir, NO_COLOR: '1' },
    }).catch((error: Error) => {
      // A seed refused by a service says why only in that service's log: keep its errors with the failure.
      const errors = [...system.apps.entries()].flatMap(([name, replicas]) =>
        replicas.flatMap((app) => app.output.split('\n').filter((line) => /"level":"(error|fatal)"/.test(line)).slice(-5).map((line) => `${name}: ${line}`)),
      );
      throw new Error(`${error.message}\n--- errors the apps logged ---\n${errors.join('\n') || '(none)'}`);
    });
  });

  afterAll(async () => {
    await system?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  async function search(query: string): Promise<{ items: Hit[]; total: number; facets: Record<string, { value: string; count: number }[]> }> {
    const url = `/v1/datasets?${query.replace(/q=([^&]*)/, (_, q: string) => `q=${encodeURIComponent(q)}`)}`;
    const response = await system.request(url, { as: 'anonymous' });
    expect(response.status).toBe(200);
    return (await response.json()) as { items: Hit[]; total: number; facets: Record<string, { value: string; count: number }[]> };
  }

  it('publishes at least 8 vendors and 60 datasets across every modality, with offers of every pricing model', async () => {
    const all = await search('limit=100');
    expect(all.total).toBeGreaterThanOrEqual(60);
    expect(all.facets.modality.map((f) => f.value).sort()).toEqual(['dialogue', 'image', 'multimodal', 'point_cloud', 'speech', 'text', 'video']);
    expect(new Set(all.items.map((hit) => (hit as unknown as { vendorOrganizationId: string }).vendorOrganizationId)).size).toBeGreaterThanOrEqual(8);
    const keys = JSON.parse(readFileSync(join(stateDir, 'demo-catalog.json'), 'utf8')) as { datasetIds: string[] };
    const detail = (await (await system.request(`/v1/datasets/${keys.datasetIds[1]}`, { as: 'anonymous' })).json()) as { versions: { files: { sha256: string }[] }[]; samples: unknown[] };
    expect(detail.versions[0].files).toHaveLength(2);
    expect(detail.versions[0].files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(detail.samples).toHaveLength(1);
    const models = new Set<string>();
    for (const id of keys.datasetIds) {
      const { offers } = (await (await system.request(`/v1/datasets/${id}`, { as: 'anonymous' })).json()) as { offers: { pricing: { model: string } }[] };
      offers.forEach((offer) => models.add(offer.pricing.model));
    }
    expect([...models].sort()).toEqual(['free', 'metered', 'one_time', 'subscription']);
  });

  it('refuses bad parameters with 400 problem+json naming each field, and an unknown one too', async () => {
    const response = await system.request('/v1/datasets?modality=smell&language=klingon&maxPrice=-5&sort=popular&limit=500&status=draft&currency=XYZ', { as: 'anonymous' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { code: string; errors: { field: string }[] };
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['currency', 'language', 'limit', 'maxPrice', 'modality', 'sort', 'status']);
  });

  it('never shows a draft through the gateway, nor counts it in the facets', async () => {
    const keys = JSON.parse(readFileSync(join(stateDir, 'demo-keys.json'), 'utf8')) as { vendors: Record<string, { key: string }> };
    const before = await search('modality=speech&limit=1');
    const created = await system.request('/v1/datasets', {
      method: 'POST',
      as: { key: keys.vendors.aishell.key },
      body: JSON.stringify(speechListing({ title: '鄂尔多斯煤矿调度语音 草稿', domain: 'energy' })),
    });
    expect(created.status).toBe(201);
    expect((await search('q=鄂尔多斯')).items).toEqual([]);
    const after = await search('modality=speech&limit=1');
    expect(after.total).toBe(before.total);
    expect(after.facets).toEqual(before.facets);
  });

  it('sees a suspension right after cached answers, on both catalog replicas, and the reinstatement too', async () => {
    const { datasetIds } = JSON.parse(readFileSync(join(stateDir, 'demo-catalog.json'), 'utf8')) as { datasetIds: string[] };
    const id = datasetIds[0];
    const { title, metadata } = (await (await system.request(`/v1/datasets/${id}`, { as: 'anonymous' })).json()) as { title: string; metadata: { modality: string } };
    const byTitle = `q=${title}`;
    const byModality = `modality=${metadata.modality}&limit=1`;
    const count = (page: { facets: Record<string, { value: string; count: number }[]> }) => page.facets.modality.find((f) => f.value === metadata.modality)?.count ?? 0;
    // Asked several times, so each replica has likely cached both answers.
    let before = 0;
    for (let i = 0; i < 6; i++) {
      expect((await search(byTitle)).items.map((hit) => hit.id)).toContain(id);
      before = count(await search(byModality));
    }
    expect((await system.request(`/v1/admin/datasets/${id}/suspend`, { method: 'POST' })).status).toBe(200);
    for (let i = 0; i < 6; i++) {
      expect((await search(byTitle)).items.map((hit) => hit.id)).not.toContain(id);
      expect(count(await search(byModality))).toBe(before - 1);
    }
    expect((await system.request(`/v1/admin/datasets/${id}/approve`, { method: 'POST' })).status).toBe(200);
    for (let i = 0; i < 6; i++) {
      expect((await search(byTitle)).items.map((hit) => hit.id)).toContain(id);
      expect(count(await search(byModality))).toBe(before);
    }
  });

  it.each(RELEVANCE)('$query', async ({ query, top, every }) => {
    const { items } = await search(query);
    const titles = items.map((hit) => hit.title);
    expect(titles.slice(0, top.length).sort()).toEqual([...top].sort());
    if (every) {
      expect(items.length).toBeGreaterThan(0);
      for (const hit of items) expect(every(hit)).toBe(true);
    }
  });
});
