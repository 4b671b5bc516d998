import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageHeaders } from '@trove/contracts';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { sendRawUntilAnswered } from '../support/http';
import { commercialOffer, exclusiveOffer, sha256Hex, speechListing, VendorClient } from '../support/catalog';
import { Namespace } from '@trove/messaging';
import { connectNats } from '../support/nats';
import { waitFor } from '../support/processes';
import { withDatabase } from '../support/postgres';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(180_000);

const SAMPLE_MAX_BYTES = 64 * 1024;

/** Every file under `dir`, recursively: what delivery's storage holds. */
function storedFiles(dir: string): string[] {
  const walk = (at: string): string[] =>
    readdirSync(at).flatMap((name) => {
      const full = join(at, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  try {
    return walk(dir);
  } catch {
    return [];
  }
}

describe('the catalog through the public API', () => {
  let system: TroveSystem;
  let storageDir: string;
  let nc: NatsConnection;
  let vendor: VendorClient;
  let other: VendorClient;
  let buyerKey: string;
  let buyerOrgId: string;

  beforeAll(async () => {
    storageDir = mkdtempSync(join(tmpdir(), 'trove-catalog-e2e-'));
    system = await TroveSystem.start({
      apps: ['gateway', 'catalog', 'delivery'],
      appEnv: {
        catalog: { SAMPLE_MAX_BYTES: String(SAMPLE_MAX_BYTES) },
        delivery: { DELIVERY_SIGNING_KEYS: `k1:${randomBytes(32).toString('base64')}`, STORAGE_DIR: storageDir },
      },
    });
    nc = await connectNats();
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    other = await VendorClient.signUp(system, '标贝科技 DataBaker');
    const buyer = await json(
      await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name: '中国移动九天人工智能', kind: 'buyer', contactEmail: 'ai@example.cn' }) }),
    );
    buyerKey = buyer.apiKey;
    buyerOrgId = buyer.organization.id;
  });

  afterAll(async () => {
    await nc?.close();
    await system?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  const as = (key: string | 'anonymous') => (key === 'anonymous' ? { as: 'anonymous' as const } : { as: { key } });
  const status = async (path: string, key: string | 'anonymous' | 'admin') => (await system.request(path, key === 'admin' ? {} : as(key))).status;
  const datasetCount = () =>
    withDatabase(system.databases.get('catalog')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM dataset')).rows[0].n as number);

  /**
   * A request straight to the catalog over NATS: as ordering will make it at checkout, or, with
   * `caller`, as if a gateway had let it through.
   */
  async function catalogRpc(subject: string, payload: unknown, caller?: { organizationId: string; role: string }): Promise<{ ok: boolean; data?: any; error?: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const h = natsHeaders();
    h.set(MessageHeaders.idempotencyKey, randomUUID());
    if (caller) {
      h.set(MessageHeaders.callerOrganization, caller.organizationId);
      h.set(MessageHeaders.callerRole, caller.role);
      h.set(MessageHeaders.callerKey, randomUUID());
    }
    const reply = await nc.request(`${system.namespace}.${subject}`, new TextEncoder().encode(JSON.stringify(payload)), { timeout: 5000, headers: h });
    return JSON.parse(new TextDecoder().decode(reply.data));
  }

  /** The newest event on `subject` in this system's stream, once the outbox relay has sent it. */
  async function lastEvent(subject: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const jsm = await nc.jetstreamManager();
    const stream = new Namespace(system.namespace).stream;
    let found: unknown;
    await waitFor(`an event on ${subject}`, async () => {
      const message = await jsm.streams.getMessage(stream, { last_by_subj: `${system.namespace}.${subject}` }).catch(() => undefined);
      found = message && JSON.parse(new TextDecoder().decode(message.data));
      return found !== undefined;
    }, 10_000);
    return found;
  }

  it('takes a listing from draft to published: versions, uploaded files, offer, sample, review', async () => {
    await vendor.expect(200, '/v1/vendor/profile', 'PUT', {
      displayNameZh: '海天瑞声科技股份有限公司',
      displayNameEn: 'SpeechOcean',
      website: 'https://www.speechocean.example.cn',
      certifications: ['ISO/IEC 27001', 'DSMM 三级'],
    });
    const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing());
    expect(dataset).toMatchObject({ status: 'draft', vendorOrganizationId: vendor.organizationId, title: '普通话手机采集朗读语音数据 1,000 小时' });

    const version = await vendor.expect(201, `/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.0.0', changelog: '首个版本' });
    expect(version).toMatchObject({ version: '1.0.0', status: 'open', files: [] });
    const audio = randomBytes(200_000);
    const transcripts = Buffer.from('{"id":"utt_000001","text":"请把空调温度调到二十六度"}\n{"id":"utt_000002","text":"今天天气很好"}\n');
    expect(await vendor.upload(dataset.id, version.id, 'audio/zh-CN/speaker_0001/utt_000001.wav', audio)).toEqual({
      path: 'audio/zh-CN/speaker_0001/utt_000001.wav',
      size: audio.length,
      sha256: sha256Hex(audio),
    });
    // Digests in upper case, as .NET's Convert.ToHexString or PowerShell's Get-FileHash print them: still checked.
    const declaring = async (sha256: string) => {
      const signed = await vendor.expect(201, `/v1/datasets/${dataset.id}/versions/${version.id}/uploads`, 'POST', { path: 'transcripts.jsonl', size: transcripts.length, sha256 });
      const put = await fetch(signed.uploadUrl, { method: 'PUT', body: transcripts });
      return { status: put.status, body: await put.json() };
    };
    expect(await declaring(sha256Hex(audio).toUpperCase())).toEqual({ status: 422, body: expect.objectContaining({ code: 'CHECKSUM_MISMATCH' }) });
    expect(await declaring(sha256Hex(transcripts).toUpperCase())).toEqual({ status: 201, body: { path: 'transcripts.jsonl', size: transcripts.length, sha256: sha256Hex(transcripts) } });
    const released = await vendor.expect(200, `/v1/datasets/${dataset.id}/versions/${version.id}/release`, 'POST');
    expect(released).toMatchObject({ status: 'released', releasedAt: expect.any(String) });
    expect(released.files).toHaveLength(2);

    const offer = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(12_800_000, { requiresApproval: true }));
    expect(offer).toMatchObject({
      license: { template: 'commercial', terms: { exclusive: false, territories: ['CN'] } },
      pricing: { model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } },
      requiresApproval: true,
      termsSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const sampleBytes = Buffer.from('RIFF....WAVEfmt 示例音频 / sample audio');
    const signed = await vendor.expect(201, `/v1/datasets/${dataset.id}/samples`, 'POST', { path: 'samples/utt_000001.wav', size: sampleBytes.length });
    const put = await fetch(signed.uploadUrl, { method: 'PUT', body: sampleBytes, headers: { 'content-type': 'audio/wav' } });
    expect(put.status).toBe(201);

    // Not published yet: the public does not see it.
    expect(await status(`/v1/datasets/${dataset.id}`, 'anonymous')).toBe(404);
    expect(await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST')).toMatchObject({ status: 'in_review' });
    expect(await json(await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' }))).toMatchObject({ status: 'published', publishedAt: expect.any(String) });

    const detail = await json(await system.request(`/v1/datasets/${dataset.id}`, as('anonymous')));
    expect(detail).toMatchObject({ id: dataset.id, status: 'published', metadata: { modality: 'speech', speech: { hours: 1000 } } });
    expect(detail.versions).toEqual([
      expect.objectContaining({
        version: '1.0.0',
        status: 'released',
        files: [
          { path: 'audio/zh-CN/speaker_0001/utt_000001.wav', size: audio.length, sha256: sha256Hex(audio) },
          { path: 'transcripts.jsonl', size: transcripts.length, sha256: sha256Hex(transcripts) },
        ],
      }),
    ]);
    expect(detail.offers).toEqual([expect.objectContaining({ id: offer.id, termsSha256: offer.termsSha256, requiresApproval: true })]);
    // The terms as the listing serves them, keys sorted and no whitespace (jq -cS), hash to termsSha256.
    const sortedJson = (value: unknown): string =>
      value === null || typeof value !== 'object'
        ? JSON.stringify(value)
        : Array.isArray(value)
          ? `[${value.map(sortedJson).join(',')}]`
          : `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
    for (const served of [offer, detail.offers[0]]) expect(sha256Hex(sortedJson(served.license.terms))).toBe(offer.termsSha256);
    expect(detail.samples).toEqual([expect.objectContaining({ path: 'samples/utt_000001.wav', size: sampleBytes.length, sha256: sha256Hex(sampleBytes), contentType: 'audio/wav' })]);

    const cardResponse = await system.request(`/v1/datasets/${dataset.id}/croissant`, as('anonymous'));
    expect(cardResponse.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    const card = await json(cardResponse);
    expect(card).toMatchObject({ conformsTo: 'http://mlcommons.org/croissant/1.0', name: dataset.title, version: '1.0.0' });
    expect(JSON.stringify(card)).toContain(sha256Hex(audio));
    expect(JSON.stringify(card)).toContain('SpeechOcean');

    // The outbox carried the news to JetStream, for search and ordering.
    const published = await lastEvent('evt.catalog.dataset.published.v1');
    expect(published).toMatchObject({ payload: { datasetId: dataset.id, vendorOrganizationId: vendor.organizationId, title: dataset.title } });
    expect(await lastEvent('evt.catalog.version.released.v1')).toMatchObject({ payload: { datasetId: dataset.id, versionId: version.id, version: '1.0.0' } });
    expect(await lastEvent('evt.catalog.offer.created.v1')).toMatchObject({ payload: { offerId: offer.id, termsSha256: offer.termsSha256, change: 'created' } });

    // The released version's file list is frozen.
    const late = await vendor.call(`/v1/datasets/${dataset.id}/versions/${version.id}/uploads`, 'POST', { path: 'late.wav' });
    expect(late.status).toBe(409);
  });

  it('keeps drafts, rejected and suspended listings to their vendor and admins, and lets a rejected one be fixed', async () => {
    const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title: '四川话车载语音数据 300 小时' }));
    const path = `/v1/datasets/${dataset.id}`;
    expect(await status(path, 'anonymous')).toBe(404);
    expect(await status(path, buyerKey)).toBe(404);
    expect(await status(path, other.key)).toBe(404);
    expect(await status(path, vendor.key)).toBe(200);
    expect(await status(path, 'admin')).toBe(200);
    const hiddenCard = await system.request(`${path}/croissant`, as('anonymous'));
    expect(hiddenCard.status).toBe(404);
    expect(hiddenCard.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    // Nothing to sell yet: no released version, no offer.
    const early = await json(await vendor.call(`${path}/submit`, 'POST'));
    expect(early).toMatchObject({ status: 409, detail: expect.stringContaining('a released version and a live offer') });
    const version = await vendor.expect(201, `${path}/versions`, 'POST', { version: '1.0.0' });
    expect((await vendor.call(`${path}/versions`, 'POST', { version: '1.0.0' })).status).toBe(409);
    expect(await json(await vendor.call(`${path}/versions/${version.id}/release`, 'POST'))).toMatchObject({ status: 409, detail: expect.stringContaining('no file') });
    await vendor.upload(dataset.id, version.id, 'audio/0001.wav', randomBytes(1000));
    // Uploading a path again, before the release, replaces the file.
    const redone = randomBytes(1200);
    await vendor.upload(dataset.id, version.id, 'audio/0001.wav', redone);
    expect((await vendor.expect(200, `${path}/versions/${version.id}/release`, 'POST')).files).toEqual([{ path: 'audio/0001.wav', size: 1200, sha256: sha256Hex(redone) }]);
    expect(await json(await vendor.call(`${path}/submit`, 'POST'))).toMatchObject({ status: 409, detail: expect.stringContaining('a live offer') });
    await vendor.expect(201, `${path}/offers`, 'POST', commercialOffer());
    await vendor.expect(200, `${path}/submit`, 'POST');
    expect(await status(path, 'anonymous')).toBe(404);
    expect(await json(await vendor.call(path, 'PATCH', { tags: ['四川话'] }))).toMatchObject({ status: 409, detail: expect.stringContaining('in review') });
    // It waits in the operators' review queue.
    const queue = await json(await system.request(`/v1/admin/datasets?status=in_review&vendor=${vendor.organizationId}`));
    expect(queue.items.map((d: { id: string }) => d.id)).toContain(dataset.id);
    expect(queue.items.every((d: { status: string; vendorOrganizationId: string }) => d.status === 'in_review' && d.vendorOrganizationId === vendor.organizationId)).toBe(true);
    expect((await system.request('/v1/admin/datasets?status=in_review', as(vendor.key))).status).toBe(403);

    // The vendor reads the reason: escapes, reordering and invisible characters are refused, and the listing stays in review.
    for (const reason of ['已驳回\u001b[2J\u001b[31m FAKE', '驳回 \u202e因原', 'Spe\u2062ech 合规\u00ad不全', '通过\r已驳回']) {
      const refused = await system.request(`/v1/admin/datasets/${dataset.id}/reject`, { method: 'POST', body: JSON.stringify({ reason }) });
      expect({ status: refused.status, field: (await json(refused)).errors?.[0]?.field }).toEqual({ status: 400, field: 'reason' });
    }
    expect((await vendor.expect(200, path)).status).toBe('in_review');
    const rejected = await json(
      await system.request(`/v1/admin/datasets/${dataset.id}/reject`, { method: 'POST', body: JSON.stringify({ reason: '缺少采集地区与说话人同意书编号 / Missing collection regions' }) }),
    );
    expect(rejected).toMatchObject({ status: 'rejected' });
    expect(await status(path, 'anonymous')).toBe(404);
    expect(await vendor.expect(200, path)).toMatchObject({ status: 'rejected', rejectionReason: expect.stringContaining('Missing collection regions') });
    const mine = await vendor.expect(200, '/v1/vendor/datasets?status=rejected');
    expect(mine.items.map((d: { id: string }) => d.id)).toEqual([dataset.id]);
    expect((await other.expect(200, '/v1/vendor/datasets')).items.map((d: { id: string }) => d.id)).not.toContain(dataset.id);

    // Fixed and resubmitted, then published and later suspended.
    const fixed = await vendor.expect(200, path, 'PATCH', { collection: { methods: ['vehicle_fleet'], regions: ['CN-SC'] } });
    expect(fixed.metadata.collection).toEqual({ methods: ['vehicle_fleet'], regions: ['CN-SC'] });
    expect(await vendor.expect(200, `${path}/submit`, 'POST')).toMatchObject({ status: 'in_review' });
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);
    expect(await status(path, 'anonymous')).toBe(200);
    // Why an operator rejected it is between the operators and its vendor: nobody else's page has the field.
    expect(await json(await system.request(path, as('anonymous')))).not.toHaveProperty('rejectionReason');
    expect(await json(await system.request(path, as(buyerKey)))).not.toHaveProperty('rejectionReason');
    expect(await json(await system.request(path, as(other.key)))).not.toHaveProperty('rejectionReason');
    expect(await vendor.expect(200, path)).toMatchObject({ status: 'published', rejectionReason: null });
    expect(await json(await system.request(path))).toMatchObject({ status: 'published', rejectionReason: null });
    // A reason that is not one is refused, naming it, and takes nothing down.
    for (const reason of ['', 42, 'x'.repeat(2001)]) {
      const refused = await system.request(`/v1/admin/datasets/${dataset.id}/suspend`, { method: 'POST', body: JSON.stringify({ reason }) });
      expect({ reason, status: refused.status, fields: ((await json(refused)).errors ?? []).map((e: { field: string }) => e.field) }).toEqual({ reason, status: 400, fields: ['reason'] });
    }
    expect(await status(path, 'anonymous')).toBe(200);
    const why = '样本含未脱敏的手机号，整改后重新提交 / Samples hold unmasked phone numbers';
    const suspended = await system.request(`/v1/admin/datasets/${dataset.id}/suspend`, { method: 'POST', body: JSON.stringify({ reason: ` ${why} ` }) });
    expect(suspended.status).toBe(200);
    expect(await status(path, 'anonymous')).toBe(404);
    expect(await status(path, buyerKey)).toBe(404);
    // Its vendor sees it, and why.
    expect(await vendor.expect(200, path)).toMatchObject({ status: 'suspended', rejectionReason: why });
    // A suspended listing cannot be sent back to review by its vendor.
    expect((await vendor.call(`${path}/submit`, 'POST')).status).toBe(409);
    // Reinstated: public again, the reason gone; a suspension without a body still works.
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);
    expect(await vendor.expect(200, path)).toMatchObject({ status: 'published', rejectionReason: null });
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/suspend`, { method: 'POST' })).status).toBe(200);
    expect(await vendor.expect(200, path)).toMatchObject({ status: 'suspended', rejectionReason: null });
  });

  it('holds a listing in review still until the operator decides, and takes changes again once published', async () => {
    const { dataset, version, offer } = await vendor.listing(speechListing({ title: '普通话电话客服录音 600 小时' }));
    const path = `/v1/datasets/${dataset.id}`;
    const next = await vendor.expect(201, `${path}/versions`, 'POST', { version: '1.1.0' });
    await vendor.upload(dataset.id, next.id, 'audio/0001.wav', randomBytes(500));
    // Upload URLs asked for before the submit, used after it.
    const lateFile = Buffer.from('{"id":"utt_000009","text":"换掉的文件"}\n');
    const signedFile = await vendor.expect(201, `${path}/versions/${next.id}/uploads`, 'POST', { path: 'transcripts-v2.jsonl', size: lateFile.length });
    const lateSample = Buffer.from('RIFF....WAVE 另一个样本 / another sample');
    const signedSample = await vendor.expect(201, `${path}/samples`, 'POST', { path: 'samples/other.wav', size: lateSample.length });
    await vendor.expect(200, `${path}/submit`, 'POST');

    const reviewed = await vendor.expect(200, path);
    const stored = storedFiles(storageDir).length;
    for (const [method, route, payload] of [
      ['PATCH', path, { tags: ['改价'] }],
      ['POST', `${path}/offers`, commercialOffer(999_999_999)],
      ['POST', `${path}/offers/${offer.id}/withdraw`, undefined],
      ['POST', `${path}/versions`, { version: '2.0.0' }],
      ['POST', `${path}/versions/${next.id}/uploads`, { path: 'audio/0002.wav', size: 10 }],
      ['POST', `${path}/versions/${next.id}/release`, undefined],
      ['POST', `${path}/samples`, { path: 'samples/third.wav', size: 10 }],
    ] as const) {
      const answer = await json(await vendor.call(route, method, payload));
      expect({ route: `${method} ${route}`, status: answer.status, code: answer.code, inReview: String(answer.detail).includes('in review') }).toEqual({
        route: `${method} ${route}`,
        status: 409,
        code: 'INVALID_STATE',
        inReview: true,
      });
    }
    for (const [url, bytes] of [
      [signedFile.uploadUrl, lateFile],
      [signedSample.uploadUrl, lateSample],
    ] as const) {
      const put = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
      expect({ status: put.status, code: (await json(put)).code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    }
    // Nothing changed: the operator reviews what was submitted, and delivery kept no byte.
    expect(await vendor.expect(200, path)).toEqual(reviewed);
    expect(storedFiles(storageDir).length).toBe(stored);

    const published = await json(await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' }));
    expect(published).toMatchObject({ status: 'published' });
    const shown = await json(await system.request(path, as('anonymous')));
    expect(shown.offers.map((o: { id: string }) => o.id)).toEqual([offer.id]);
    expect(shown.versions.map((v: { id: string }) => v.id)).toEqual([version.id]);

    // Published, the vendor changes it again as before, live at once.
    await vendor.expect(200, path, 'PATCH', { tags: ['普通话', '客服'] });
    const newOffer = await vendor.expect(201, `${path}/offers`, 'POST', commercialOffer(9_900_000));
    await vendor.expect(200, `${path}/offers/${offer.id}/withdraw`, 'POST');
    await vendor.upload(dataset.id, next.id, 'transcripts-v2.jsonl', lateFile);
    await vendor.expect(200, `${path}/versions/${next.id}/release`, 'POST');
    await vendor.expect(201, `${path}/versions`, 'POST', { version: '2.0.0' });
    const sample = await vendor.expect(201, `${path}/samples`, 'POST', { path: 'samples/other.wav', size: lateSample.length });
    expect((await fetch(sample.uploadUrl, { method: 'PUT', body: lateSample })).status).toBe(201);
    const live = await json(await system.request(path, as('anonymous')));
    expect(live.offers.map((o: { id: string }) => o.id)).toEqual([newOffer.id]);
    expect(live.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0', '1.1.0']);
    expect(live.samples.map((s: { path: string }) => s.path)).toEqual(['samples/other.wav']);
  });

  it('creates one listing for a retried request with the same Idempotency-Key', async () => {
    const before = await datasetCount();
    const send = () =>
      system.request('/v1/datasets', { method: 'POST', as: { key: vendor.key }, headers: { 'idempotency-key': `import-${randomUUID()}` }, body: JSON.stringify(speechListing({ title: '闽南语广播语音 120 小时' })) });
    const key = `catalog-import-${randomUUID()}`;
    const retry = () =>
      system.request('/v1/datasets', { method: 'POST', as: { key: vendor.key }, headers: { 'idempotency-key': key }, body: JSON.stringify(speechListing({ title: '闽南语广播语音 120 小时' })) });
    const first = await json(await retry());
    const second = await json(await retry());
    expect(second.id).toBe(first.id);
    expect(await datasetCount()).toBe(before + 1);
    // Another key is another listing.
    expect((await json(await send())).id).not.toBe(first.id);
  });

  it('lets a pending vendor prepare a listing but not submit it', async () => {
    const pending = await VendorClient.signUp(system, '深圳 自动驾驶 数据采集公司', false);
    const { dataset } = await pending.listing(speechListing({ title: '城市道路车载语音指令 50 小时' }));
    const refused = await json(await pending.call(`/v1/datasets/${dataset.id}/submit`, 'POST'));
    expect(refused).toMatchObject({ status: 409, code: 'VENDOR_NOT_APPROVED', detail: expect.stringContaining('approval') });
    expect((await pending.expect(200, `/v1/datasets/${dataset.id}`)).status).toBe('draft');
    // The catalog holds the same rule, should a request reach it some other way.
    const direct = await catalogRpc('catalog.dataset.submit', { id: dataset.id, vendorStatus: 'pending' }, { organizationId: pending.organizationId, role: 'vendor' });
    expect(direct).toMatchObject({ ok: false, error: { code: 'VENDOR_NOT_APPROVED', status: 409 } });
    expect((await pending.expect(200, `/v1/datasets/${dataset.id}`)).status).toBe('draft');
  });

  it('shows a private offer to its buyer alone', async () => {
    const { dataset } = await vendor.listing(speechListing({ title: '粤语客服对话语音 500 小时' }));
    const privateOffer = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(9_900_000, { buyerOrgId }));
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' });
    const offerIds = async (key: string | 'anonymous') => (await json(await system.request(`/v1/datasets/${dataset.id}`, as(key)))).offers.map((o: { id: string }) => o.id);
    expect(await offerIds(buyerKey)).toContain(privateOffer.id);
    expect(await offerIds('anonymous')).not.toContain(privateOffer.id);
    expect(await offerIds(other.key)).not.toContain(privateOffer.id);
    expect(await offerIds(vendor.key)).toContain(privateOffer.id);
  });

  it("refuses a list's nextCursor on any other list: another listing's versions, another vendor's listings, other filters", async () => {
    const { dataset } = await vendor.listing(speechListing({ title: '闽南话新闻播报语音 80 小时' }));
    await vendor.expect(201, `/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.1.0', changelog: '补充 20 小时' });
    const { dataset: sibling } = await vendor.listing(speechListing({ title: '客家话日常对话语音 60 小时' }));
    const versionsCursor = (await vendor.expect(200, `/v1/datasets/${dataset.id}/versions?limit=1`)).nextCursor as string;
    expect(versionsCursor).toEqual(expect.any(String));
    const refused = async (key: string, url: string) => {
      const answer = await system.request(url, as(key));
      return [answer.status, (await json(answer)).errors?.[0]?.field];
    };
    expect(await refused(vendor.key, `/v1/datasets/${sibling.id}/versions?cursor=${versionsCursor}`)).toEqual([400, 'cursor']);
    expect((await vendor.expect(200, `/v1/datasets/${dataset.id}/versions?limit=1&cursor=${versionsCursor}`)).items).toHaveLength(1);

    const listingsCursor = (await vendor.expect(200, '/v1/vendor/datasets?limit=1')).nextCursor as string;
    await other.listing(speechListing({ title: '英语口音普通话朗读 30 小时' }));
    expect(await refused(other.key, `/v1/vendor/datasets?cursor=${listingsCursor}`)).toEqual([400, 'cursor']);
    expect(await refused(vendor.key, `/v1/vendor/datasets?status=published&cursor=${listingsCursor}`)).toEqual([400, 'cursor']);
    expect((await vendor.expect(200, `/v1/vendor/datasets?limit=1&cursor=${listingsCursor}`)).items).toHaveLength(1);
  });

  it("refuses terms that let buyers redistribute abroad data the listing says may not leave China, at the offer and at the listing's edit", async () => {
    // speechListing's voice recordings are declared restricted to mainland China.
    const { dataset } = await vendor.listing(speechListing({ title: '东北话客服通话语音 300 小时' }));
    const path = `/v1/datasets/${dataset.id}`;
    const offersBefore = (await vendor.expect(200, path)).offers.length;
    const terms = (territories: string[], uses: string[]) => ({
      license: { template: 'commercial', terms: { uses, termMonths: 12, territories, seats: null, exclusive: false } },
      pricing: { model: 'one_time', price: { amount: 9_900_000, currency: 'CNY' } },
    });
    const refused = [
      { license: { template: 'cc-by-4.0' }, pricing: { model: 'free' } },
      { license: { template: 'cdla-permissive-2.0' }, pricing: { model: 'free' } },
      terms(['CN', 'HK'], ['model_training', 'redistribution']),
      terms(['WORLDWIDE'], ['redistribution']),
    ];
    for (const offer of refused) {
      const answer = await vendor.call(`${path}/offers`, 'POST', offer);
      expect({ status: answer.status, body: await json(answer) }).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION_FAILED', errors: [{ field: 'license.terms', problems: [expect.stringContaining('crossBorderTransfer: restricted')] }] },
      });
    }
    expect((await vendor.expect(200, path)).offers).toHaveLength(offersBefore);
    // A buyer in Hong Kong trains on it (and answers for its own export); redistribution within mainland China stays inside.
    await vendor.expect(201, `${path}/offers`, 'POST', terms(['CN', 'HK'], ['model_training', 'commercial_deployment']));
    await vendor.expect(201, `${path}/offers`, 'POST', terms(['CN'], ['model_training', 'redistribution']));

    // Declared free to leave China, it takes an open license; declaring it restricted again is refused while that offer lives.
    const compliance = (speechListing().compliance as Record<string, unknown>);
    await vendor.expect(200, path, 'PATCH', { compliance: { ...compliance, crossBorderTransfer: 'allowed' } });
    const open = await vendor.expect(201, `${path}/offers`, 'POST', { license: { template: 'cc-by-4.0' }, pricing: { model: 'free' } });
    const back = await vendor.call(path, 'PATCH', { compliance });
    expect({ status: back.status, body: await json(back) }).toMatchObject({ status: 409, body: { code: 'CONFLICT', detail: expect.stringContaining(open.id) } });
    expect((await vendor.expect(200, path)).metadata.compliance.crossBorderTransfer).toBe('allowed');
    await vendor.expect(200, `${path}/offers/${open.id}/withdraw`, 'POST');
    await vendor.expect(200, path, 'PATCH', { compliance });
  });

  it('refuses a private offer for anything but a buyer organization, and keeps no offer', async () => {
    const { dataset } = await vendor.listing(speechListing({ title: '四川话车载语音指令 300 小时' }));
    const before = (await vendor.expect(200, `/v1/datasets/${dataset.id}`)).offers.length;
    // No organization, another vendor, the vendor itself: none of them could ever order it.
    for (const id of [randomUUID(), other.organizationId, vendor.organizationId]) {
      const refused = await json(await system.request(`/v1/datasets/${dataset.id}/offers`, { method: 'POST', ...as(vendor.key), body: JSON.stringify(commercialOffer(9_900_000, { buyerOrgId: id })) }));
      expect(refused).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'buyerOrgId' }] });
    }
    expect((await vendor.expect(200, `/v1/datasets/${dataset.id}`)).offers).toHaveLength(before);
    // Another vendor learns nothing of which ids are buyers: a buyer's id and a vendor's get the same 404.
    for (const id of [buyerOrgId, vendor.organizationId]) {
      const probe = await system.request(`/v1/datasets/${dataset.id}/offers`, { method: 'POST', ...as(other.key), body: JSON.stringify(commercialOffer(9_900_000, { buyerOrgId: id })) });
      expect({ status: probe.status, detail: (await json(probe)).detail }).toEqual({ status: 404, detail: `No dataset ${dataset.id}.` });
    }
    // null is no buyer: a public offer, as before.
    const open = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(9_900_000, { buyerOrgId: null }));
    expect(open.buyerOrgId ?? null).toBeNull();
  });

  it('tells the vendor and admins that an offer past its expiry has expired, where buyers no longer see it', async () => {
    const { dataset, offer } = await vendor.listing(speechListing({ title: '上海话老年人对话语音 120 小时' }));
    const seasonal = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(3_600_000, { expiresAt: new Date(Date.now() + 86_400_000).toISOString() }));
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);
    // The season ends: nothing is written when an offer expires, it is told when read.
    await withDatabase(system.databases.get('catalog')!.url, (c) => c.query(`UPDATE offer SET expires_at = now() - interval '1 minute' WHERE id = $1`, [seasonal.id]));

    const statuses = async (key: string | 'anonymous' | 'admin') =>
      (await json(await system.request(`/v1/datasets/${dataset.id}`, key === 'admin' ? {} : as(key)))).offers.map((o: { id: string; status: string }) => [o.id, o.status]);
    expect(await statuses(vendor.key)).toEqual([[offer.id, 'active'], [seasonal.id, 'expired']]);
    expect(await statuses('admin')).toEqual([[offer.id, 'active'], [seasonal.id, 'expired']]);
    expect(await statuses('anonymous')).toEqual([[offer.id, 'active']]);
    expect(await statuses(buyerKey)).toEqual([[offer.id, 'active']]);
    expect(await catalogRpc('catalog.offer.get', { offerId: seasonal.id }, { organizationId: buyerOrgId, role: 'buyer' })).toMatchObject({ ok: true, data: { status: 'expired', available: false } });
    // Withdrawn after it expired, it says so.
    expect(await vendor.expect(200, `/v1/datasets/${dataset.id}/offers/${seasonal.id}/withdraw`, 'POST')).toMatchObject({ status: 'withdrawn' });
    expect(await statuses(vendor.key)).toEqual([[offer.id, 'active'], [seasonal.id, 'withdrawn']]);
  });

  describe('bad input', () => {
    let datasetId: string;
    let versionId: string;

    beforeAll(async () => {
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title: '吴语上海话朗读语音 200 小时' }));
      datasetId = dataset.id;
      versionId = (await vendor.expect(201, `/v1/datasets/${datasetId}/versions`, 'POST', { version: '0.9.0' })).id;
    });

    it.each([
      ['an unknown modality', { modality: 'smell' }, 'modality'],
      ['an unknown language tag', { languages: ['zh-CN', 'klingon-xx-1'] }, 'languages'],
      ['negative hours', { speech: { ...(speechListing().speech as object), hours: -5 } }, 'speech.hours'],
      ['a status', { status: 'published' }, 'status'],
      ['a vendorId', { vendorId: '00000000-0000-4000-8000-000000000001' }, 'vendorId'],
    ])('refuses a listing with %s as 400 naming the field, and creates nothing', async (_what, change, field) => {
      const before = await datasetCount();
      const problem = await vendor.expect(400, '/v1/datasets', 'POST', speechListing(change));
      expect(problem).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await datasetCount()).toBe(before);
    });

    it.each(['v1', '1.0', '01.0.0', '1.0.0 beta'])('refuses the version string %j', async (version) => {
      const problem = await vendor.expect(400, `/v1/datasets/${datasetId}/versions`, 'POST', { version });
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'version' })]);
    });

    it('refuses an edit that would make the listing invalid, and keeps it as it was', async () => {
      const problem = await vendor.expect(400, `/v1/datasets/${datasetId}`, 'PATCH', { modality: 'image' });
      expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['speech', 'image']));
      expect((await vendor.expect(200, `/v1/datasets/${datasetId}`)).metadata.modality).toBe('speech');
      expect((await vendor.call(`/v1/datasets/${datasetId}`, 'PATCH', { status: 'published' })).status).toBe(400);
    });

    it.each([
      ['zero', 0],
      ['negative', -100],
      ['a fraction', 12.5],
      ['a string', '12800'],
    ])('refuses a price that is %s', async (_what, amount) => {
      const problem = await vendor.expect(400, `/v1/datasets/${datasetId}/offers`, 'POST', {
        license: { template: 'commercial' },
        pricing: { model: 'one_time', price: { amount, currency: 'CNY' } },
      });
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain('pricing.price.amount');
    });

    it("answers 404 for another vendor's dataset on every route", async () => {
      for (const [method, path, payload] of [
        ['PATCH', `/v1/datasets/${datasetId}`, { title: '抢注' }],
        ['POST', `/v1/datasets/${datasetId}/versions`, { version: '9.0.0' }],
        ['POST', `/v1/datasets/${datasetId}/versions/${versionId}/uploads`, { path: 'x.wav' }],
        ['POST', `/v1/datasets/${datasetId}/versions/${versionId}/release`, undefined],
        ['POST', `/v1/datasets/${datasetId}/offers`, commercialOffer()],
        ['POST', `/v1/datasets/${datasetId}/samples`, { path: 'x.wav' }],
        ['POST', `/v1/datasets/${datasetId}/submit`, undefined],
        ['GET', `/v1/datasets/${datasetId}`, undefined],
      ] as const) {
        expect(`${method} ${path}: ${(await other.call(path, method, payload)).status}`).toBe(`${method} ${path}: 404`);
      }
    });

    it.each(['../../etc/passwd', '/etc/passwd', 'audio\\..\\x.wav', 'audio//x.wav', './x.wav', 'a/\u0000.wav', 'audio/0001.wav:Zone.Identifier', 'labels/CON.json'])('refuses the upload path %j as 400', async (path) => {
      const problem = await vendor.expect(400, `/v1/datasets/${datasetId}/versions/${versionId}/uploads`, 'POST', { path });
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'path' })]);
      expect((await vendor.call(`/v1/datasets/${datasetId}/samples`, 'POST', { path })).status).toBe(400);
    });

    it('refuses an oversize sample: declared (413 before any byte) or sent', async () => {
      const declared = await vendor.expect(413, `/v1/datasets/${datasetId}/samples`, 'POST', { path: 'samples/big.wav', size: SAMPLE_MAX_BYTES + 1 });
      expect(declared).toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
      const before = storedFiles(storageDir).length;
      const signed = await vendor.expect(201, `/v1/datasets/${datasetId}/samples`, 'POST', { path: 'samples/big.wav' });
      // Refused from its Content-Length, before the bytes are read: sendRaw reads the answer a fetch may lose to EPIPE.
      const target = new URL(signed.uploadUrl);
      const put = await sendRawUntilAnswered({ host: target.hostname, port: Number(target.port), method: 'PUT', path: target.pathname + target.search }, randomBytes(SAMPLE_MAX_BYTES + 1));
      expect(put.status).toBe(413);
      expect((await vendor.expect(200, `/v1/datasets/${datasetId}`)).samples).toEqual([]);
      expect(storedFiles(storageDir).length).toBe(before);
    });
  });

  describe('what ordering and delivery ask of the catalog', () => {
    it('gives ordering the offer snapshot a buyer may see, and says when it cannot be sold', async () => {
      const { dataset, offer } = await vendor.listing(speechListing({ title: '英语口音普通话朗读 300 小时' }));
      const privateOffer = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(5_000_000, { buyerOrgId, requiresApproval: true }));
      const asBuyer = { organizationId: buyerOrgId, role: 'buyer' };
      const asOtherBuyer = { organizationId: randomUUID(), role: 'buyer' };

      // Not published yet: only the vendor's own view has it.
      expect(await catalogRpc('catalog.offer.get', { offerId: offer.id }, asBuyer)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
      await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' });

      const snapshot = await catalogRpc('catalog.offer.get', { offerId: privateOffer.id }, asBuyer);
      expect(snapshot).toMatchObject({
        ok: true,
        data: {
          id: privateOffer.id,
          termsSha256: privateOffer.termsSha256,
          requiresApproval: true,
          vendorOrganizationId: vendor.organizationId,
          datasetStatus: 'published',
          available: true,
          releasedVersionIds: [expect.any(String)],
        },
      });
      expect(await catalogRpc('catalog.offer.get', { offerId: privateOffer.id }, asOtherBuyer)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

      // Withdrawn: gone from the listing, and not available to order.
      expect(await vendor.expect(200, `/v1/datasets/${dataset.id}/offers/${offer.id}/withdraw`, 'POST')).toMatchObject({ status: 'withdrawn' });
      expect((await json(await system.request(`/v1/datasets/${dataset.id}`, as('anonymous')))).offers.map((o: { id: string }) => o.id)).not.toContain(offer.id);
      expect(await catalogRpc('catalog.offer.get', { offerId: offer.id }, asOtherBuyer)).toMatchObject({ ok: true, data: { status: 'withdrawn', available: false } });
      expect(await lastEvent('evt.catalog.offer.changed.v1')).toMatchObject({ payload: { offerId: offer.id, change: 'withdrawn' } });
    });

    it('refuses a file for a version released meanwhile, and an offer that has already expired', async () => {
      const { dataset, version } = await vendor.listing(speechListing({ title: '儿童普通话朗读 80 小时' }));
      const late = await catalogRpc(
        'catalog.version.add-file',
        { datasetId: dataset.id, versionId: version.id, path: 'late.wav', size: 3, sha256: sha256Hex('abc'), storageKey: `objects/${randomUUID()}` },
        { organizationId: vendor.organizationId, role: 'vendor' },
      );
      expect(late).toMatchObject({ ok: false, error: { status: 409 } });
      const expired = await vendor.expect(400, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(100_000, { expiresAt: '2020-01-01T00:00:00Z' }));
      expect(expired.errors).toEqual([expect.objectContaining({ field: 'expiresAt' })]);
      // ISO 8601 forms no date parser here reads used to pass as an invalid date and end as a 500.
      // And a date or a time without its offset, which would be read as UTC (eight hours off in Beijing), and the year 10000 in UTC, which broke the listing's every read.
      for (const expiresAt of ['2027-W26', '2027-181', '20270630', '2027-01-01', '2027-01-01T00:00:00', '9999-12-31T23:59:59-23:59']) {
        const unreadable = await vendor.expect(400, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(100_000, { expiresAt }));
        expect(unreadable.errors).toEqual([expect.objectContaining({ field: 'expiresAt' })]);
      }
    });

    it('answers 404 for a vendor without a profile', async () => {
      expect(await status(`/v1/vendors/${other.organizationId}`, 'anonymous')).toBe(404);
      expect(await json(await system.request(`/v1/vendors/${vendor.organizationId}`, as('anonymous')))).toMatchObject({ displayNameEn: 'SpeechOcean' });
    });
  });

  it("pages through a vendor's own listings without repeating or skipping one", async () => {
    // Three listings made within one millisecond (an import script's burst): the cursor holds
    // milliseconds, the column microseconds.
    await withDatabase(system.databases.get('catalog')!.url, async (client) => {
      for (const micros of ['123400', '123300', '123200']) {
        await client.query(
          `INSERT INTO dataset (id, vendor_organization_id, title, status, metadata, created_at) VALUES ($1, $2, $3, 'draft', $4, $5)`,
          [randomUUID(), vendor.organizationId, `批量导入 ${micros}`, JSON.stringify(speechListing()), `2026-06-01T08:00:00.${micros}Z`],
        );
      }
    });
    const all = await vendor.expect(200, '/v1/vendor/datasets?limit=100');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await vendor.expect(200, `/v1/vendor/datasets?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.items.length).toBeGreaterThan(5);
    expect(seen).toEqual(all.items.map((d: { id: string }) => d.id));
    expect((await vendor.call('/v1/vendor/datasets?status=sold')).status).toBe(400);
  });

  describe('exclusive licenses', () => {
    it('refuses an exclusive offer, or sale, that collides with a live exclusive sale', async () => {
      const { dataset } = await vendor.listing(speechListing({ title: '普通话金融客服录音 800 小时（独家）' }));
      const first = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(24, ['CN']));
      expect(first).toMatchObject({ exclusive: true, license: { template: 'commercial_exclusive' } });
      // Two exclusive offers may stand side by side: only a sale takes the territory.
      const second = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(12, ['CN', 'HK']));
      // Only a listing on sale sells an exclusive license: a draft's reservation is refused.
      const unpublished = await catalogRpc('catalog.exclusive.reserve', { offerId: first.id, buyerOrgId, orderId: randomUUID() });
      expect(unpublished).toMatchObject({ ok: false, error: { code: 'OFFER_NOT_AVAILABLE', status: 409 } });
      await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
      expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);

      const orderId = randomUUID();
      const sale = await catalogRpc('catalog.exclusive.reserve', { offerId: first.id, buyerOrgId, orderId });
      expect(sale).toMatchObject({ ok: true, data: { offerId: first.id, orderId, status: 'live', endsAt: expect.any(String) } });
      // The listing's page says which offers that sale blocks, and until when: every offer for
      // mainland China, both exclusive ones and its non-exclusive commercial one (no one else is
      // licensed the data there while the sale runs).
      const soldOut = async () =>
        Object.fromEntries(
          ((await vendor.expect(200, `/v1/datasets/${dataset.id}`)).offers as { id: string; exclusiveSoldOut?: { until: string | null } }[]).map((o) => [o.id, o.exclusiveSoldOut ?? 'available']),
        );
      const blocked = await soldOut();
      expect(Object.keys(blocked)).toHaveLength(3);
      expect(blocked).toEqual(Object.fromEntries(Object.keys(blocked).map((id) => [id, { until: sale.data.endsAt }])));
      // The same order asking again gets the same sale.
      expect((await catalogRpc('catalog.exclusive.reserve', { offerId: first.id, buyerOrgId, orderId })).data.id).toBe(sale.data.id);

      const refused = await vendor.expect(409, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(6, ['CN']));
      expect(refused).toMatchObject({ code: 'EXCLUSIVITY_CONFLICT' });
      const sold = await catalogRpc('catalog.exclusive.reserve', { offerId: second.id, buyerOrgId: randomUUID(), orderId: randomUUID() });
      expect(sold).toMatchObject({ ok: false, error: { code: 'EXCLUSIVITY_CONFLICT', status: 409 } });

      // Two checkouts of colliding exclusive offers at once: exactly one wins.
      const third = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(12, ['HK']));
      const fourth = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(6, ['HK', 'MO']));
      const race = await Promise.all([third, fourth].map((o) => catalogRpc('catalog.exclusive.reserve', { offerId: o.id, buyerOrgId: randomUUID(), orderId: randomUUID() })));
      expect(race.map((r) => (r.ok ? 'sold' : r.error.code)).sort()).toEqual(['EXCLUSIVITY_CONFLICT', 'sold']);

      // Elsewhere, or after the sold term ends, is free; a non-exclusive offer may be made (it is
      // sold out in the territory while the sale runs).
      await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(24, ['SG']));
      await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer());
      const later = await catalogRpc('catalog.exclusive.reserve', {
        offerId: second.id,
        buyerOrgId: randomUUID(),
        orderId: randomUUID(),
        startsAt: new Date(Date.now() + 25 * 31 * 24 * 3600 * 1000).toISOString(),
      });
      expect(later).toMatchObject({ ok: true });

      // A refund releases the sale; the territory is free again.
      expect(await catalogRpc('catalog.exclusive.release', { orderId })).toMatchObject({ ok: true, data: { status: 'released' } });
      const after = await soldOut();
      expect([after[first.id], after[third.id] === 'available' || after[fourth.id] === 'available']).toEqual(['available', false]);
      await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(6, ['CN']));
    });
  });
});
