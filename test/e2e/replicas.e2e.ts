import { newDataset } from '../support/catalog';
import { TroveSystem } from '../support/system';

jest.setTimeout(120_000);

function servedRequests(metrics: string, subject: string): number {
  const pattern = new RegExp(`trove_nats_request_duration_seconds_count\\{subject="${subject.replace(/\./g, '\\.')}",side="server",outcome="ok"\\} (\\d+)`);
  return Number(pattern.exec(metrics)?.[1] ?? 0);
}

describe('two replicas of a service', () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog'], replicas: { catalog: 1 } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('share the requests through the queue group, and no request is handled twice', async () => {
    const dataset = await newDataset(system.databases.get('catalog')!.url, { title: '中文 OCR 文档图像 20 万张 / Chinese OCR document images, 200k' });
    const total = 200;
    const statuses: number[] = [];
    for (let batch = 0; batch < total / 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous' })));
      statuses.push(...answers.map((r) => r.status));
    }
    expect(statuses).toEqual(Array(total).fill(200));

    const served = await Promise.all(
      [0, 1].map(async (replica) => servedRequests(await (await fetch(`${system.app('catalog', replica).url}/metrics`)).text(), 'catalog.dataset.get')),
    );
    expect(served[0]).toBeGreaterThan(0);
    expect(served[1]).toBeGreaterThan(0);
    expect(served[0] + served[1]).toBe(total);
  });
});
