import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { s3TestStorage, type TestStorage } from '../../apps/delivery/test/storage-drivers';
import { verifyScript } from '../../apps/delivery/test/downloads-support';
import { downloadGrant, downloadUrl } from '../../apps/delivery/src/downloads/download-ticket';
import { parseSigningKeys } from '../../apps/delivery/src/signing/signing-keys';
import { UrlSigner } from '../../apps/delivery/src/signing/url-signer';
import { speechListing, VendorClient, yearlyOffer } from '../support/catalog';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const run = promisify(execFile);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Buyer {
  key: string;
  organizationId: string;
}

/** The same purchase, download, refund and subscription story on each storage driver. */
const DRIVERS: [string, () => Promise<TestStorage | null>][] = [
  ['the filesystem driver', async () => null],
  ['the S3 driver (s3rver started here)', s3TestStorage],
];

describe.each(DRIVERS)('buying and downloading through the public API, %s', (_name, startStorage) => {
  let storage: TestStorage | null;
  let system: TroveSystem;
  let vendor: VendorClient;
  let datasetId: string;
  let v1: string;
  let oneTimeOffer: string;
  let subscriptionOffer: string;
  let 国网: Buyer;
  let 电信: Buyer;
  let 百度: Buyer;
  const filesV1: Record<string, Buffer> = {
    'audio/zh-CN/普通话_0001.wav': randomBytes(2 * 1024 * 1024 + 333),
    'transcripts/train.jsonl': Buffer.from(`${JSON.stringify({ audio: 'zh-CN/普通话_0001.wav', text: '请帮我查询一下本月的话费余额。', speaker: 'F031' })}\n`),
    'README.md': Buffer.from('# 普通话手机采集朗读语音 / Mandarin read speech\n\n2,000 名说话人。\n'),
    // A path far longer, percent-encoded, than the 100 characters a gateway path parameter may have.
    'labels/四川话/成都市/女性说话人_F031/车载语音指令_打开空调并调到二十六度_0001.json': Buffer.from(`${JSON.stringify({ intent: '空调.设置温度', slots: { 温度: 26 } })}\n`),
  };

  const as = (who: Buyer | VendorClient) => ({ as: { key: who.key } });
  const get = async (path: string, who: Buyer) => {
    const response = await system.request(path, as(who));
    return { status: response.status, body: await json(response) };
  };
  const post = (path: string, who: Buyer | 'admin', body?: unknown) =>
    system.request(path, { method: 'POST', ...(who === 'admin' ? {} : as(who)), ...(body === undefined ? {} : { body: JSON.stringify(body) }), headers: { 'idempotency-key': randomUUID() } });
  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    const buyer = { key: answer.apiKey, organizationId: answer.organization.id };
    const topUp = await json(await post('/v1/wallet/top-ups', buyer, { amount: { amount: 500_000_000, currency: 'CNY' }, reference: `招商银行 CMB-${randomUUID().slice(0, 8)}` }));
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
    return buyer;
  };
  /** Places an order and waits until delivery's grant has fulfilled it; answers the entitlement. */
  const buy = async (buyer: Buyer, offerId: string) => {
    const placed = await post('/v1/orders', buyer, { items: [{ offerId }], acceptLicense: true });
    const order = await json(placed);
    expect(placed.status).toBe(201);
    await waitFor(`order ${order.id} fulfilled`, async () => (await get(`/v1/orders/${order.id}`, buyer)).body.status === 'fulfilled', 60_000);
    const { body } = await get('/v1/entitlements', buyer);
    return { orderId: order.id as string, entitlement: body.items.find((e: { orderId: string }) => e.orderId === order.id) };
  };
  const fetchBytes = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { headers });
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  };
  const expectRefused = async (url: string, code: string) => {
    const response = await fetch(url);
    const text = await response.text();
    expect({ status: response.status, type: response.headers.get('content-type'), code: JSON.parse(text).code }).toEqual({
      status: 403,
      type: expect.stringMatching(/^application\/problem\+json/),
      code,
    });
  };

  beforeAll(async () => {
    storage = await startStorage();
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn', ...(storage?.env ?? {}) } });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    const { dataset, version, offer } = await vendor.listing(speechListing(), filesV1);
    datasetId = dataset.id;
    v1 = version.id;
    oneTimeOffer = offer.id;
    const subscription = await vendor.expect(201, `/v1/datasets/${datasetId}/offers`, 'POST', {
      license: { template: 'research' },
      pricing: { model: 'subscription', price: { amount: 880_000, currency: 'CNY' }, period: 'month' },
    });
    subscriptionOffer = subscription.id;
    await vendor.expect(200, `/v1/datasets/${datasetId}/submit`, 'POST');
    const approved = await system.request(`/v1/admin/datasets/${datasetId}/approve`, { method: 'POST' });
    expect(approved.status).toBe(200);
    国网 = await signUpBuyer('国网智能研究院 / State Grid AI Lab');
    电信 = await signUpBuyer('中国电信人工智能研究院 / China Telecom AI');
    百度 = await signUpBuyer('百度智能云千帆 / Baidu AI Cloud Qianfan');
  });

  afterAll(async () => {
    await system?.stop();
    await storage?.stop();
  });

  let purchase: { orderId: string; entitlement: { id: string; versionIds: string[]; status: string } };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let manifest: any;

  it('buys, reads the manifest, downloads every file in full and in ranges, verifies each SHA-256 and the root, and resumes with curl -C -', async () => {
    purchase = await buy(国网, oneTimeOffer);
    expect(purchase.entitlement).toMatchObject({ datasetId, versionIds: [v1], status: 'active', expiresAt: null });
    const answer = await get(`/v1/entitlements/${purchase.entitlement.id}/manifest`, 国网);
    expect(answer.status).toBe(200);
    manifest = answer.body;
    const [version] = manifest.versions;
    expect(version).toMatchObject({ id: v1, version: '1.0.0' });
    expect(version.files.map((f: { path: string }) => f.path).sort()).toEqual(Object.keys(filesV1).sort());

    const dir = await mkdtemp(join(tmpdir(), 'trove-e2e-download-'));
    try {
      for (const file of version.files) {
        const full = await fetchBytes(file.url);
        expect({ status: full.status, etag: full.headers.get('etag'), ranges: full.headers.get('accept-ranges') }).toEqual({ status: 200, etag: `"${file.sha256}"`, ranges: 'bytes' });
        expect(sha256(full.body)).toBe(file.sha256);
        // The same file in three ranges.
        const third = Math.ceil(file.size / 3);
        const parts = [];
        for (let start = 0; start < file.size; start += third) {
          const part = await fetchBytes(file.url, { range: `bytes=${start}-${Math.min(file.size, start + third) - 1}` });
          expect(part.status).toBe(206);
          parts.push(part.body);
        }
        expect(sha256(Buffer.concat(parts))).toBe(file.sha256);
        await mkdir(dirname(join(dir, file.path)), { recursive: true });
        await writeFile(join(dir, file.path), full.body);
      }
      await writeFile(join(dir, 'verify-manifest.mjs'), verifyScript());
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
      const verified = await run('node', [join(dir, 'verify-manifest.mjs'), join(dir, 'manifest.json'), v1, dir]);
      expect(verified.stdout.trim()).toBe(`OK ${version.root}`);

      // An interrupted download: the first 777,777 bytes arrived; curl -C - fetches the rest.
      const wav = version.files.find((f: { path: string }) => f.path.endsWith('.wav'));
      const partial = join(dir, 'resumed.wav');
      await writeFile(partial, filesV1[wav.path].subarray(0, 777_777));
      await run('curl', ['-sS', '--fail', '-C', '-', '-o', partial, wav.url]);
      expect(sha256(await readFile(partial))).toBe(wav.sha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("follows the Croissant card: each file's contentUrl sends the buyer on to a signed URL of exactly those bytes, and no one else", async () => {
    const card = await json(await system.request(`/v1/datasets/${datasetId}/croissant`, { as: 'anonymous' }));
    // This vendor has no profile: the card names it by its id alone, not by the name it signed up
    // with, which anyone may sign up with too.
    expect(card.creator).toEqual({ '@type': 'sc:Organization', identifier: vendor.organizationId });
    const gateway = system.app('gateway').url;
    expect(card.url).toBe(`${gateway}/v1/datasets/${datasetId}`);
    const objects = card.distribution.filter((d: { '@type': string }) => d['@type'] === 'cr:FileObject');
    expect(objects.map((o: { name: string }) => o.name).sort()).toEqual(Object.keys(filesV1).sort());
    const follow = (url: string, key?: string) => fetch(url, { redirect: 'manual', headers: key ? { authorization: `Bearer ${key}` } : {} });
    for (const object of objects) {
      expect(object.contentUrl.startsWith(`${gateway}/v1/datasets/${datasetId}/versions/${v1}/files/`)).toBe(true);
      const answer = await follow(object.contentUrl, 国网.key);
      const location = answer.headers.get('location');
      expect({ status: answer.status, body: await answer.json() }).toEqual({
        status: 302,
        body: { entitlementId: purchase.entitlement.id, versionId: v1, path: object.name, size: filesV1[object.name].length, sha256: object.sha256, url: location, expiresAt: expect.any(String) },
      });
      const bytes = await fetchBytes(location!);
      expect({ status: bytes.status, sha256: sha256(bytes.body) }).toEqual({ status: 200, sha256: sha256(filesV1[object.name]) });
    }
    const first = objects[0].contentUrl;
    const statuses = [await follow(first, 百度.key), await follow(first), await follow(first, vendor.key), await follow(first.replace(/\.[a-z]+$/, '.missing'), 国网.key)].map((r) => r.status);
    expect(statuses).toEqual([404, 401, 403, 404]);
  });

  it('refuses with 403 problem+json: one character changed, an expired URL, another buyer, a file outside the entitlement', async () => {
    const file = manifest.versions[0].files.find((f: { path: string }) => f.path === 'README.md');
    const changed = new URL(file.url);
    const sig = changed.searchParams.get('sig')!;
    changed.searchParams.set('sig', sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11));
    await expectRefused(changed.toString(), 'URL_INVALID');

    // A URL signed with delivery's own key (as the manifest signs them) whose expiry has passed.
    const signer = new UrlSigner(parseSigningKeys(system.signingKeys));
    const url = new URL(file.url);
    const ticket = {
      entitlementId: purchase.entitlement.id,
      versionId: v1,
      path: 'README.md',
      caller: { organizationId: url.searchParams.get('org')!, keyId: url.searchParams.get('key')! },
      expires: Math.floor(Date.now() / 1000) - 1,
    };
    const base = `${url.protocol}//${url.host}`;
    await expectRefused(downloadUrl(base, ticket, signer.sign(downloadGrant(ticket))), 'URL_EXPIRED');

    // Another buyer: cannot read this manifest, and a URL signed for them on this entitlement is refused.
    expect((await get(`/v1/entitlements/${purchase.entitlement.id}/manifest`, 百度)).status).toBe(404);
    const forOther = { ...ticket, caller: { organizationId: 百度.organizationId, keyId: 'b'.repeat(32) }, expires: Math.floor(Date.now() / 1000) + 600 };
    await expectRefused(downloadUrl(base, forOther, signer.sign(downloadGrant(forOther))), 'FORBIDDEN');

    const outside = new URL(file.url);
    outside.pathname = outside.pathname.replace(`/versions/${v1}/`, `/versions/${randomUUID()}/`);
    await expectRefused(outside.toString(), 'URL_INVALID');
  });

  it('carries x-correlation-id on every answer of a download URL: the one sent echoed on 200, HEAD, 206 and 416, a new one when none is sent', async () => {
    const file = manifest.versions[0].files.find((f: { path: string }) => f.path === 'README.md');
    const sent = 'dl-CMB-20261130-0042';
    const answers: Record<string, [number, string | null]> = {};
    for (const [name, init] of Object.entries({
      whole: {},
      head: { method: 'HEAD' },
      range: { headers: { range: 'bytes=0-9' } },
      outside: { headers: { range: `bytes=${file.size}-` } },
    } as Record<string, RequestInit>)) {
      const response = await fetch(file.url, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-correlation-id': sent } });
      await response.arrayBuffer();
      answers[name] = [response.status, response.headers.get('x-correlation-id')];
    }
    expect(answers).toEqual({ whole: [200, sent], head: [200, sent], range: [206, sent], outside: [416, sent] });
    const unnamed = await fetch(file.url, { headers: { range: 'bytes=2-' } });
    await unnamed.arrayBuffer();
    expect({ status: unnamed.status, id: unnamed.headers.get('x-correlation-id') }).toEqual({ status: 206, id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) });
  });

  it('delivers a newly released version to a subscriber without buying again, and not to the one-time buyer', async () => {
    const subscribed = await buy(电信, subscriptionOffer);
    expect(subscribed.entitlement).toMatchObject({ versionIds: [v1], status: 'active' });
    const v2 = await vendor.expect(201, `/v1/datasets/${datasetId}/versions`, 'POST', { version: '1.1.0', changelog: '新增粤语样本 / Cantonese added' });
    await vendor.upload(datasetId, v2.id, 'audio/yue/粤语_0001.wav', Buffer.from('RIFF 粤语 sample'));
    await vendor.upload(datasetId, v2.id, 'README.md', Buffer.from('# 1.1.0\n'));
    await vendor.expect(200, `/v1/datasets/${datasetId}/versions/${v2.id}/release`, 'POST');

    const gained = await waitFor('the new version delivered', async () => {
      const { body } = await get('/v1/entitlements', 电信);
      const entitlement = body.items.find((e: { id: string }) => e.id === subscribed.entitlement.id);
      return entitlement.versionIds.includes(v2.id) ? entitlement : undefined;
    }, 60_000);
    expect(gained.versionIds).toEqual([v1, v2.id]);
    const subManifest = (await get(`/v1/entitlements/${gained.id}/manifest`, 电信)).body;
    const cantonese = subManifest.versions[1].files.find((f: { path: string }) => f.path === 'audio/yue/粤语_0001.wav');
    expect((await fetchBytes(cantonese.url)).body.toString()).toBe('RIFF 粤语 sample');
    const diff = (await get(`/v1/entitlements/${gained.id}/diff?from=${v1}&to=${v2.id}`, 电信)).body;
    expect({ added: diff.added.map((f: { path: string }) => f.path), changed: diff.changed.map((f: { path: string }) => f.path), removed: diff.removed.length }).toEqual({
      added: ['audio/yue/粤语_0001.wav'],
      changed: ['README.md'],
      removed: 3,
    });

    const oneTime = (await get('/v1/entitlements', 国网)).body.items.find((e: { id: string }) => e.id === purchase.entitlement.id);
    expect(oneTime.versionIds).toEqual([v1]);
  });

  it('after the refund, the same URL answers 403 and the entitlement lists as revoked', async () => {
    const file = manifest.versions[0].files[0];
    expect((await fetchBytes(file.url, { range: 'bytes=0-0' })).status).toBe(206);
    expect((await post(`/v1/admin/orders/${purchase.orderId}/refund`, 'admin', { reason: '数据与描述不符 / Data did not match the listing' })).status).toBe(202);
    const refundedAt = await waitFor('the order refunded', async () => ((await get(`/v1/orders/${purchase.orderId}`, 国网)).body.status === 'refunded' ? Date.now() : undefined), 60_000, 20);
    const revokedAt = await waitFor('the entitlement revoked', async () => {
      const { body } = await get('/v1/entitlements', 国网);
      return body.items.find((e: { id: string }) => e.id === purchase.entitlement.id).status === 'revoked' ? Date.now() : undefined;
    }, 60_000, 20);
    // No cache between the row and the URL: the first request after the revocation is refused.
    await expectRefused(file.url, 'ENTITLEMENT_REVOKED');
    process.stdout.write(`refund completed -> entitlement revoked in ${Math.max(0, revokedAt - refundedAt)} ms\n`);
  });

  it("stops a revoked API key's URLs and a suspended organization's within seconds; the organization's other key, and the organization once approved again, download", async () => {
    const 华为 = await signUpBuyer('华为云 ModelArts / Huawei Cloud');
    const { entitlement } = await buy(华为, oneTimeOffer);
    const created = await post('/v1/api-keys', 华为, { name: 'training-cluster' });
    expect(created.status).toBe(201);
    const second: Buyer = { key: (await json(created)).key, organizationId: 华为.organizationId };
    const readmeUrl = async (who: Buyer) => {
      const answer = await get(`/v1/entitlements/${entitlement.id}/manifest`, who);
      expect(answer.status).toBe(200);
      return answer.body.versions[0].files.find((f: { path: string }) => f.path === 'README.md').url as string;
    };
    const refusedWith = async (url: string) => {
      const response = await fetch(url);
      const text = await response.text();
      return response.status === 200 ? 200 : `${response.status} ${JSON.parse(text).code}`;
    };
    // The gateway's event reaches delivery asynchronously: poll, bounded, until the URL is refused.
    const soonRefused = (url: string, code: string) => waitFor(`${url} refused with ${code}`, async () => (await refusedWith(url)) === `403 ${code}`, 15_000, 50);

    const first = await readmeUrl(华为);
    const other = await readmeUrl(second);
    expect((await fetchBytes(first)).status).toBe(200);
    expect((await fetchBytes(other)).status).toBe(200);

    // The buyer revokes the key the first URL was signed for (a leak, say).
    const { keyId } = (await get('/v1/me', 华为)).body;
    expect((await system.request(`/v1/api-keys/${keyId}`, { method: 'DELETE', ...as(华为) })).status).toBe(204);
    await soonRefused(first, 'API_KEY_REVOKED');
    await expectRefused(first, 'API_KEY_REVOKED');
    expect((await fetchBytes(other)).status).toBe(200);

    // An operator suspends the organization: the URLs signed before stop.
    expect((await post(`/v1/admin/organizations/${华为.organizationId}/suspend`, 'admin')).status).toBe(200);
    await soonRefused(other, 'ORGANIZATION_SUSPENDED');
    await expectRefused(other, 'ORGANIZATION_SUSPENDED');

    // Approved again: a fresh manifest's URL downloads (once delivery has heard of it), and so does the earlier one.
    expect((await post(`/v1/admin/organizations/${华为.organizationId}/approve`, 'admin')).status).toBe(200);
    const fresh = await waitFor('a fresh manifest after the approval', async () => {
      const answer = await get(`/v1/entitlements/${entitlement.id}/manifest`, second);
      return answer.status === 200 ? (answer.body.versions[0].files.find((f: { path: string }) => f.path === 'README.md') as { url: string; sha256: string }) : undefined;
    }, 15_000, 50);
    const downloaded = await fetchBytes(fresh.url);
    expect({ status: downloaded.status, sha256: sha256(downloaded.body) }).toEqual({ status: 200, sha256: fresh.sha256 });
    expect((await fetchBytes(other)).status).toBe(200);
    // The revoked key stays refused.
    await expectRefused(first, 'API_KEY_REVOKED');
  });

  it('tells the vendor who received its dataset and what each downloaded, per API key and version; nobody else', async () => {
    const 阿里 = await signUpBuyer('阿里云百炼 / Alibaba Cloud Model Studio');
    const 字节 = await signUpBuyer('字节跳动 Seed / ByteDance Seed');
    const downloaded = await buy(阿里, oneTimeOffer);
    const idle = await buy(字节, oneTimeOffer);
    const created = await post('/v1/api-keys', 阿里, { name: 'eval-cluster' });
    const second: Buyer = { key: (await json(created)).key, organizationId: 阿里.organizationId };
    // The version the purchase covers (a later test may have released another before this one runs).
    type Listed = { path: string; size: number; url: string };
    const filesOf = async (who: Buyer) =>
      (await get(`/v1/entitlements/${downloaded.entitlement.id}/manifest`, who)).body.versions.flatMap((v: { files: Listed[] }) => v.files) as Listed[];
    const smallest = (await filesOf(阿里)).reduce((a, b) => (b.size < a.size ? b : a));
    const largest = (await filesOf(second)).reduce((a, b) => (b.size > a.size ? b : a));
    const slice = Math.min(1000, largest.size - 1);
    // The first key fetches the smallest file whole, twice; the second one a slice of the largest.
    for (let i = 0; i < 2; i++) expect((await fetchBytes(smallest.url)).status).toBe(200);
    expect((await fetchBytes(largest.url, { range: `bytes=0-${slice - 1}` })).status).toBe(206);

    const path = `/v1/datasets/${datasetId}/downloads`;
    const { keyId: firstKey } = (await get('/v1/me', 阿里)).body;
    const { keyId: secondKey } = (await get('/v1/me', second)).body;
    type Recipient = { entitlementId: string; buyerOrganizationId: string; status: string; downloads: { keyId: string; files: number; requests: number; bytes: number; version: string }[]; moreDownloads: number };
    const recipientsOf = async (query = '') => {
      const all: Recipient[] = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const page = await get(`${path}?limit=1${query}${cursor ? `&cursor=${cursor}` : ''}`, vendor);
        expect(page.status).toBe(200);
        all.push(...page.body.items);
        cursor = page.body.nextCursor;
      }
      return all;
    };
    // The download log is written as each transfer ends.
    const report = await waitFor('both keys in the report', async () => {
      const all = await recipientsOf();
      const entry = all.find((r) => r.entitlementId === downloaded.entitlement.id);
      return entry?.downloads.length === 2 ? all : undefined;
    }, 15_000, 100);
    const mine = report.find((r) => r.entitlementId === downloaded.entitlement.id)!;
    expect(mine).toMatchObject({ buyerOrganizationId: 阿里.organizationId, buyerName: '阿里云百炼 / Alibaba Cloud Model Studio', status: 'active', moreDownloads: 0 });
    expect(new Map(mine.downloads.map((d) => [d.keyId, { files: d.files, requests: d.requests, bytes: d.bytes, version: d.version }]))).toEqual(
      new Map([
        [firstKey, { files: 1, requests: 2, bytes: 2 * smallest.size, version: expect.any(String) }],
        [secondKey, { files: 1, requests: 1, bytes: slice, version: expect.any(String) }],
      ]),
    );
    // A buyer that never downloaded is listed too: it holds a license to the data.
    expect(report.find((r) => r.entitlementId === idle.entitlement.id)).toMatchObject({ buyerOrganizationId: 字节.organizationId, downloads: [], moreDownloads: 0 });
    // Every entitlement once, newest first, across pages of one; the version filter gives the same here (one version).
    expect(new Set(report.map((r) => r.entitlementId)).size).toBe(report.length);
    // The version filter keeps the holders of that version: v1's include this buyer only if its purchase covers v1.
    const ofV1 = (await recipientsOf(`&versionId=${v1}`)).map((r) => r.entitlementId);
    expect(ofV1.includes(downloaded.entitlement.id)).toBe(downloaded.entitlement.versionIds.includes(v1));
    expect(ofV1.every((id) => report.some((r) => r.entitlementId === id))).toBe(true);

    // Operators see it; another vendor and an unknown version are 404, a buyer 403, no key 401.
    expect((await system.request(`${path}?limit=100`)).status).toBe(200);
    const rival = await VendorClient.signUp(system, '标贝科技 DataBaker');
    expect((await get(path, rival)).status).toBe(404);
    expect((await get(`${path}?versionId=${randomUUID()}`, vendor)).status).toBe(404);
    expect((await get(path, 阿里)).status).toBe(403);
    expect((await system.request(path, { as: 'anonymous' })).status).toBe(401);
  });

  it('ends the URLs signed for a key that expires when the key does, not hours later', async () => {
    const 商汤 = await signUpBuyer('商汤科技 SenseTime');
    const { entitlement } = await buy(商汤, oneTimeOffer);
    const keyExpiresAt = new Date(Date.now() + 4_000);
    const created = await post('/v1/api-keys', 商汤, { name: 'short-lived-batch-job', expiresAt: keyExpiresAt.toISOString() });
    expect(created.status).toBe(201);
    const shortLived: Buyer = { key: (await json(created)).key, organizationId: 商汤.organizationId };
    const manifest = await get(`/v1/entitlements/${entitlement.id}/manifest`, shortLived);
    expect(manifest.status).toBe(200);
    const readme = manifest.body.versions[0].files.find((f: { path: string }) => f.path === 'README.md');
    // Hours of TTL are cut to the key's last whole second, in the answer and under the signature.
    const lastSecond = Math.floor(keyExpiresAt.getTime() / 1000);
    expect({ expiresAt: readme.expiresAt, expires: new URL(readme.url).searchParams.get('expires') }).toEqual({
      expiresAt: new Date(lastSecond * 1000).toISOString(),
      expires: String(lastSecond),
    });
    expect((await fetchBytes(readme.url)).status).toBe(200);
    // The organization's key without an expiry still gets the configured TTL.
    const lasting = (await get(`/v1/entitlements/${entitlement.id}/manifest`, 商汤)).body.versions[0].files[0];
    expect(new Date(lasting.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3_600_000);

    await waitFor('the key to expire', async () => Date.now() > (lastSecond + 1) * 1000, 10_000, 100);
    expect((await get('/v1/me', shortLived)).status).toBe(401);
    await expectRefused(readme.url, 'URL_EXPIRED');
  });

  it('pages GET /v1/entitlements like every list: a buyer with 45 entitlements walks 20, 20 and 5, newest first, each exactly once', async () => {
    const 阿里 = await signUpBuyer('阿里巴巴达摩院 / Alibaba DAMO Academy');
    // Fifteen one-time offers (one per dialect pack, say): one order of all fifteen, whose
    // entitlements are granted at one instant, then thirty orders of one offer each.
    const offers: string[] = [];
    for (let i = 0; i < 15; i++) {
      // A year's license each: the buyer orders each twice more below, as renewals.
      const offer = await vendor.expect(201, `/v1/datasets/${datasetId}/offers`, 'POST', yearlyOffer(9_900 + i));
      offers.push(offer.id);
    }
    expect((await post('/v1/orders', 阿里, { items: offers.map((offerId) => ({ offerId })), acceptLicense: true })).status).toBe(201);
    for (let i = 0; i < 30; i++) expect((await post('/v1/orders', 阿里, { items: [{ offerId: offers[i % 15] }], acceptLicense: true })).status).toBe(201);
    await waitFor('the 31 orders fulfilled', async () => (await get('/v1/orders?status=fulfilled&limit=100', 阿里)).body.items.length === 31, 120_000, 250);

    const walk = async (query: string) => {
      const ids: string[] = [];
      const sizes: number[] = [];
      for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
        const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await get(`/v1/entitlements?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 阿里);
        expect(page.status).toBe(200);
        expect(Object.keys(page.body).sort()).toEqual(['items', 'nextCursor']);
        ids.push(...page.body.items.map((item) => item.id));
        sizes.push(page.body.items.length);
        cursor = page.body.nextCursor;
      }
      return { ids, sizes };
    };
    const all = (await get('/v1/entitlements?limit=100', 阿里)).body;
    expect({ count: all.items.length, nextCursor: all.nextCursor }).toEqual({ count: 45, nextCursor: null });
    const expected = all.items.map((item: { id: string }) => item.id);
    expect(new Set(expected).size).toBe(45);

    const first = (await get('/v1/entitlements', 阿里)).body;
    expect({ count: first.items.length, nextCursor: first.nextCursor }).toEqual({ count: 20, nextCursor: expect.any(String) });
    expect(await walk('')).toEqual({ ids: expected, sizes: [20, 20, 5] });
    expect((await walk('limit=7')).ids).toEqual(expected);
    expect((await walk('status=active&limit=10')).ids).toEqual(expected);
    expect((await get('/v1/entitlements?status=revoked', 阿里)).body).toEqual({ items: [], nextCursor: null });

    for (const [query, field] of [
      ['limit=101', 'limit'],
      ['limit=0', 'limit'],
      ['cursor=%25%25', 'cursor'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ]) {
      const refused = await get(`/v1/entitlements?${query}`, 阿里);
      expect({ query, status: refused.status, code: refused.body.code, fields: refused.body.errors?.map((e: { field: string }) => e.field) }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED', fields: [field] });
    }
  });

  // Last: it suspends the listing the cases above buy from.
  it('an operator suspending the listing stops its sales and hides it, while a buyer holding a license keeps reading its manifest and downloading', async () => {
    const { entitlement } = await buy(电信, oneTimeOffer);
    expect((await post(`/v1/admin/datasets/${datasetId}/suspend`, 'admin', { reason: '版权投诉核查中 / under a copyright complaint review' })).status).toBe(200);

    expect((await get(`/v1/datasets/${datasetId}`, 百度)).status).toBe(404);
    const refused = await post('/v1/orders', 百度, { items: [{ offerId: oneTimeOffer }], acceptLicense: true });
    expect({ status: refused.status, code: (await json(refused)).code }).toEqual({ status: 404, code: 'NOT_FOUND' });

    const answer = await get(`/v1/entitlements/${entitlement.id}/manifest`, 电信);
    expect(answer.status).toBe(200);
    const readme = answer.body.versions[0].files.find((f: { path: string }) => f.path === 'README.md');
    const downloaded = await fetchBytes(readme.url);
    expect({ status: downloaded.status, sha256: sha256(downloaded.body) }).toEqual({ status: 200, sha256: readme.sha256 });
  });
});

